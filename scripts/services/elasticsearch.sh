#!/usr/bin/env bash
# A real Elasticsearch 8.x single node for tests, built only from Maven Central jars
# (no elastic.co download, no Docker). Usage:
#
#   scripts/services/elasticsearch.sh start|build|stop|status|env
#
# `build` only fetches and compiles (start does that first when needed).
# `env` prints the DANGAN_* settings that point dangan at this node (tests/services.py).
#
# Environment:
#   DANGAN_TEST_SERVICES_CACHE  cache root (default ~/.cache/dangan); this service uses <root>/elasticsearch
#   DANGAN_TEST_ES_PORT         HTTP port on 127.0.0.1 (default 9200)
#   DANGAN_TEST_ES_DATA         data directory (default <cache>/data)
#   ES_JAVA_HEAP           "1g" (-Xms1g -Xmx1g) or literal JVM flags (default "-Xms512m -Xmx1g")
#   DANGAN_TEST_ES_START_TIMEOUT seconds to wait for green/yellow (default 180)
#
# A cluster of several nodes on this machine (bench/search_bench.py starts two): give each
# node its own name, ports and data directory, and the same seeds:
#   DANGAN_TEST_ES_NODE         node name (default dangan-test); names the pid and log files
#   DANGAN_TEST_ES_TRANSPORT    transport port (default 9300-9399)
#   DANGAN_TEST_ES_SEEDS        comma-separated 127.0.0.1:PORT transport addresses of the
#                               cluster's nodes; unset = single-node discovery (the tests)
#   DANGAN_TEST_ES_MASTERS      comma-separated node names that elect the first master
#   DANGAN_TEST_ES_ROLES        node.roles, comma-separated (default: all roles)
#   DANGAN_TEST_ES_CLUSTER      cluster name (default dangan-test)
#
# How it works: `mvn dependency:copy-dependencies` fetches the server jar and the
# transport-netty4 module (HTTP) into the cache; Launcher.java starts an embedded node
# (org.elasticsearch.node.Node) with security off (x-pack is not on the classpath, so
# plain http without auth). Elastic does not publish the 8.x analysis-common and
# rest-root modules to Maven Central, so ModulesLite.java supplies their parts dangan
# needs under the same names (lowercase, cjk_width, cjk_bigram, ..., GET /).
# Everything is built once and cached.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/elasticsearch"
CACHE="${DANGAN_TEST_SERVICES_CACHE:-$HOME/.cache/dangan}/elasticsearch"
PORT="${DANGAN_TEST_ES_PORT:-9200}"
DATA="${DANGAN_TEST_ES_DATA:-$CACHE/data}"
HEAP="${ES_JAVA_HEAP:--Xms512m -Xmx1g}"
TIMEOUT="${DANGAN_TEST_ES_START_TIMEOUT:-180}"
NODE="${DANGAN_TEST_ES_NODE:-dangan-test}"
TRANSPORT="${DANGAN_TEST_ES_TRANSPORT:-9300-9399}"
SEEDS="${DANGAN_TEST_ES_SEEDS:-}"
CLUSTER="${DANGAN_TEST_ES_CLUSTER:-dangan-test}"
LOGDIR="$CACHE/logs"
if [[ "$NODE" == dangan-test ]]; then FILES=elasticsearch; else FILES="$NODE"; fi
LOG="$LOGDIR/$FILES.log"
PIDFILE="$CACHE/$FILES.pid"
URL="http://127.0.0.1:$PORT"

ES_VERSION="$(sed -n 's:.*<es.version>\(.*\)</es.version>.*:\1:p' "$SRC/pom.xml")"

log() { echo "elasticsearch: $*" >&2; }

# 0 when the node answers the health API with green or yellow.
healthy() {
    curl -s --max-time 3 "$URL/_cluster/health" 2>/dev/null | grep -Eq '"status":"(green|yellow)"'
}

# Pid from the pid file if that process is still alive.
running_pid() {
    local pid
    [[ -f "$PIDFILE" ]] || return 1
    pid="$(cat "$PIDFILE")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

# Fetch jars and compile the launcher and the stand-in module, once per source change.
# One build at a time: the nodes of a cluster start together, and two builds in one
# build.tmp delete each other's jars.
build() {
    mkdir -p "$CACHE"
    (
        flock 9
        build_unlocked
    ) 9>"$CACHE/build.lock"
}

build_unlocked() {
    local stamp
    stamp="$(cat "$SRC/pom.xml" "$SRC/Launcher.java" "$SRC/ModulesLite.java" | sha256sum | cut -c1-16)"
    if [[ -f "$CACHE/build.stamp" && "$(cat "$CACHE/build.stamp")" == "$stamp" ]]; then
        return 0
    fi
    log "building $ES_VERSION into $CACHE (first run: downloads ~40 MB from Maven Central)"
    command -v mvn >/dev/null || { log "mvn not found"; exit 1; }
    command -v javac >/dev/null || { log "javac (JDK 17+) not found"; exit 1; }

    local tmp="$CACHE/build.tmp"
    rm -rf "$tmp"
    mkdir -p "$tmp/lib" "$tmp/classes" "$tmp/home/config" \
        "$tmp/home/modules/transport-netty4" "$tmp/home/modules/modules-lite" "$tmp/plugin-classes"

    if ! mvn -q -B -f "$SRC/pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp/lib" \
        >"$tmp/mvn.log" 2>&1; then
        log "maven failed:"
        cat "$tmp/mvn.log" >&2
        exit 1
    fi

    # The netty4 module gets its own plugin directory (own class loader), as in the distribution.
    mv "$tmp"/lib/transport-netty4-*.jar "$tmp"/lib/netty-*.jar "$tmp"/lib/elasticsearch-ssl-config-*.jar \
        "$tmp/home/modules/transport-netty4/"
    descriptor "transport-netty4" "Netty 4 based transport implementation" \
        "org.elasticsearch.transport.netty4.Netty4Plugin" >"$tmp/home/modules/transport-netty4/plugin-descriptor.properties"

    # Stand-in for the analysis-common and rest-root modules (not on Maven Central).
    javac -nowarn -encoding UTF-8 -d "$tmp/plugin-classes" -cp "$tmp/lib/*" "$SRC/ModulesLite.java"
    jar cf "$tmp/home/modules/modules-lite/modules-lite.jar" -C "$tmp/plugin-classes" .
    descriptor "modules-lite" "analysis-common (CJK subset) and rest-root stand-ins" \
        "dangan.es.ModulesLite" >"$tmp/home/modules/modules-lite/plugin-descriptor.properties"

    javac -nowarn -encoding UTF-8 -d "$tmp/classes" -cp "$tmp/lib/*" "$SRC/Launcher.java"
    # Console logging only; the console goes to $LOG.
    cat >"$tmp/home/config/log4j2.properties" <<'EOF2'
status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
EOF2

    # Swap in the new build; data and logs live outside it and are kept.
    rm -rf "$CACHE/lib" "$CACHE/classes" "$CACHE/home" "$tmp/plugin-classes"
    mv "$tmp/lib" "$tmp/classes" "$tmp/home" "$CACHE/"
    rm -rf "$tmp"
    echo "$stamp" >"$CACHE/build.stamp"
}

# plugin-descriptor.properties for a classic (non-modular) plugin.
descriptor() {
    printf 'name=%s\ndescription=%s\nversion=%s\nelasticsearch.version=%s\njava.version=17\nclassname=%s\n' \
        "$1" "$2" "$ES_VERSION" "$ES_VERSION" "$3"
}

start() {
    if healthy; then
        log "already running at $URL"
        return 0
    fi
    mkdir -p "$CACHE"
    local pid
    if pid="$(running_pid)"; then
        log "pid $pid is running but not answering yet; waiting"
    else
        # Something else on the port would make our node fail to bind.
        if curl -s --max-time 2 -o /dev/null "$URL/" 2>/dev/null; then
            log "port $PORT answers but not as a healthy Elasticsearch; set DANGAN_TEST_ES_PORT"
            exit 1
        fi
        build
        mkdir -p "$DATA" "$LOGDIR" "$CACHE/tmp"
        if [[ -f "$LOG" ]]; then mv -f "$LOG" "$LOG.1"; fi
        local heap
        # shellcheck disable=SC2206
        if [[ "$HEAP" == -* ]]; then heap=($HEAP); else heap=("-Xms$HEAP" "-Xmx$HEAP"); fi
        local discovery=(discovery.type=single-node)
        if [[ -n "$SEEDS" ]]; then
            discovery=(discovery.seed_hosts="$SEEDS"
                cluster.initial_master_nodes="${DANGAN_TEST_ES_MASTERS:-$NODE}")
        fi
        if [[ -n "${DANGAN_TEST_ES_ROLES:-}" ]]; then discovery+=(node.roles="$DANGAN_TEST_ES_ROLES"); fi
        # JVM flags follow the distribution's jvm.options; the jars go on the module path
        # as in the distribution (the plugin loader needs a named server module). The
        # embedded node skips the CLI's bootstrap checks, including the refusal to run as root.
        (
            cd "$CACHE"
            exec setsid java "${heap[@]}" \
                -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow \
                -Djava.awt.headless=true -Dfile.encoding=UTF-8 -Djna.nosys=true \
                -Djava.locale.providers=SPI,COMPAT -Djava.io.tmpdir="$CACHE/tmp" \
                -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true \
                -Dio.netty.recycler.maxCapacityPerThread=0 \
                -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true -Dlog4j2.formatMsgNoLookups=true \
                --module-path "$CACHE/lib" --add-modules=ALL-MODULE-PATH \
                -cp "$CACHE/classes" Launcher \
                path.home="$CACHE/home" path.data="$DATA" path.logs="$LOGDIR" \
                cluster.name="$CLUSTER" node.name="$NODE" \
                "${discovery[@]}" network.host=127.0.0.1 \
                http.port="$PORT" transport.port="$TRANSPORT" \
                action.destructive_requires_name=false \
                cluster.routing.allocation.disk.threshold_enabled=false
        ) </dev/null >"$LOG" 2>&1 &
        pid=$!
        echo "$pid" >"$PIDFILE"
        log "started pid $pid (log: $LOG)"
    fi

    local waited=0
    while ((waited < TIMEOUT)); do
        if healthy; then
            log "ready at $URL after ${waited}s"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            log "process $pid exited; last log lines:"
            tail -n 40 "$LOG" >&2 || true
            rm -f "$PIDFILE"
            exit 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    log "not healthy after ${TIMEOUT}s; stopping it. Last log lines:"
    tail -n 40 "$LOG" >&2 || true
    stop >/dev/null 2>&1 || true
    exit 1
}

stop() {
    local pid
    if ! pid="$(running_pid)"; then
        rm -f "$PIDFILE"
        if healthy; then
            log "something answers at $URL but it was not started by this script (no live pid file)"
            exit 1
        fi
        log "not running"
        return 0
    fi
    kill -TERM "$pid"
    # The node closes cleanly on SIGTERM; force after 30 s.
    local i
    for ((i = 0; i < 30; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid did not exit after 30s; killing"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDFILE"
    log "stopped"
}

status() {
    if healthy; then
        curl -s --max-time 3 "$URL/_cluster/health"
        echo
        return 0
    fi
    log "not answering at $URL"
    return 1
}

case "${1:-}" in
    start) start ;;
    build) build ;;
    stop) stop ;;
    status) status ;;
    env) echo "DANGAN_SEARCH_URL=$URL" ;;
    *)
        echo "usage: $0 start|build|stop|status|env" >&2
        exit 2
        ;;
esac
