// Starts one embedded Elasticsearch node (no CLI, no bootstrap checks) for tests.
// Usage: java --module-path lib --add-modules=ALL-MODULE-PATH -cp classes Launcher key=value ...
// (node settings, e.g. path.home=...)
// Modules (transport-netty4 for HTTP, the analysis plugin) are read from <path.home>/modules.
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;

public final class Launcher {
    public static void main(String[] args) throws Exception {
        Settings.Builder builder = Settings.builder();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, got: " + arg);
            }
            builder.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Settings settings = builder.build();

        // Logging as the distribution sets it up; <path.home>/config/log4j2.properties logs to
        // the console, which the shell script redirects to a file.
        LogConfigurator.registerErrorListener();
        LogConfigurator.configureESLogging();
        LogConfigurator.setNodeName(settings.get("node.name", "dangan-test"));
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "dangan-test");
        LogConfigurator.configure(env, true);

        Node node = new Node(env);
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM/SIGINT: close the node cleanly so the data directory stays usable.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "dangan-es-shutdown"));
        node.start();
        stopped.await();
    }
}
