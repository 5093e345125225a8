// Stand-ins for two modules of the Elasticsearch distribution whose 8.x jars are not
// published on Maven Central:
//  - analysis-common: the analysis components dangan needs, under the same names and
//    settings, built on the same Lucene classes: token filters lowercase, uppercase,
//    asciifolding, cjk_width, cjk_bigram, trim; tokenizers keyword, whitespace.
//  - rest-root: GET / and HEAD / (node info; used by clients' info() and ping()).
package dangan.es;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.cjk.CJKBigramFilter;
import org.apache.lucene.analysis.cjk.CJKWidthFilter;
import org.apache.lucene.analysis.core.KeywordTokenizer;
import org.apache.lucene.analysis.core.UpperCaseFilter;
import org.apache.lucene.analysis.core.WhitespaceTokenizer;
import org.apache.lucene.analysis.el.GreekLowerCaseFilter;
import org.apache.lucene.analysis.ga.IrishLowerCaseFilter;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.elasticsearch.lucene.analysis.miscellaneous.DisableGraphAttribute;
import org.apache.lucene.analysis.miscellaneous.TrimFilter;
import org.apache.lucene.analysis.tr.TurkishLowerCaseFilter;
import org.apache.lucene.util.SetOnce;
import org.elasticsearch.Build;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.metadata.IndexNameExpressionResolver;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.io.stream.NamedWriteableRegistry;
import org.elasticsearch.common.settings.ClusterSettings;
import org.elasticsearch.common.settings.IndexScopedSettings;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.settings.SettingsFilter;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.NormalizingTokenFilterFactory;
import org.elasticsearch.index.analysis.PreConfiguredTokenFilter;
import org.elasticsearch.index.analysis.PreConfiguredTokenizer;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestController;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.xcontent.XContentBuilder;

public final class ModulesLite extends Plugin implements AnalysisPlugin, ActionPlugin {

    private final SetOnce<ClusterService> clusterService = new SetOnce<>();

    @Override
    public Collection<?> createComponents(PluginServices services) {
        clusterService.set(services.clusterService());
        return List.of();
    }

    /** GET / and HEAD /, with the fields of the real rest-root module. */
    private final class RootAction extends BaseRestHandler {
        @Override
        public String getName() {
            return "main_action";
        }

        @Override
        public List<Route> routes() {
            return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
        }

        @Override
        public boolean canTripCircuitBreaker() {
            return false;
        }

        @Override
        protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
            return channel -> {
                ClusterService cs = clusterService.get();
                Build build = Build.current();
                XContentBuilder b = channel.newBuilder();
                if (request.hasParam("pretty") == false) {
                    b.prettyPrint().lfAtEnd();
                }
                b.startObject();
                b.field("name", cs.getNodeName());
                b.field("cluster_name", cs.getClusterName().value());
                b.field("cluster_uuid", cs.state().metadata().clusterUUID());
                b.startObject("version")
                    .field("number", build.qualifiedVersion())
                    .field("build_flavor", "default")
                    .field("build_type", build.type().displayName())
                    .field("build_hash", build.hash())
                    .field("build_date", build.date())
                    .field("build_snapshot", build.isSnapshot())
                    .field("lucene_version", org.apache.lucene.util.Version.LATEST.toString())
                    .field("minimum_wire_compatibility_version", build.minWireCompatVersion())
                    .field("minimum_index_compatibility_version", build.minIndexCompatVersion())
                    .endObject();
                b.field("tagline", "You Know, for Search");
                b.endObject();
                channel.sendResponse(new RestResponse(RestStatus.OK, b));
            };
        }
    }

    @Override
    public Collection<RestHandler> getRestHandlers(Settings settings, NamedWriteableRegistry registry,
            RestController controller, ClusterSettings clusterSettings, IndexScopedSettings indexScopedSettings,
            SettingsFilter settingsFilter, IndexNameExpressionResolver resolver, Supplier<DiscoveryNodes> nodes,
            Predicate<NodeFeature> clusterSupportsFeature) {
        return List.of(new RootAction());
    }

    /** A token filter that is also used by normalizers (keyword fields, wildcard queries). */
    private static final class Normalizing extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
        private final java.util.function.Function<TokenStream, TokenStream> wrap;

        Normalizing(String name, Settings settings, java.util.function.Function<TokenStream, TokenStream> wrap) {
            super(name, settings);
            this.wrap = wrap;
        }

        @Override
        public TokenStream create(TokenStream in) {
            return wrap.apply(in);
        }
    }

    /** lowercase, with the optional `language` setting (greek, irish, turkish). */
    private static TokenFilterFactory lowercase(String name, Settings settings) {
        String lang = settings.get("language");
        if (lang == null) {
            return new Normalizing(name, settings, LowerCaseFilter::new);
        }
        switch (lang.toLowerCase(java.util.Locale.ROOT)) {
            case "greek":
                return new Normalizing(name, settings, GreekLowerCaseFilter::new);
            case "irish":
                return new Normalizing(name, settings, IrishLowerCaseFilter::new);
            case "turkish":
                return new Normalizing(name, settings, TurkishLowerCaseFilter::new);
            default:
                throw new IllegalArgumentException("language [" + lang + "] not supported for lowercase filter");
        }
    }

    /** cjk_bigram: settings `output_unigrams` (default false) and `ignored_scripts`. */
    private static final class CjkBigram extends AbstractTokenFilterFactory {
        private final int flags;
        private final boolean outputUnigrams;

        CjkBigram(String name, Settings settings) {
            super(name, settings);
            outputUnigrams = settings.getAsBoolean("output_unigrams", false);
            Set<String> scripts = new HashSet<>(Arrays.asList("han", "hiragana", "katakana", "hangul"));
            scripts.removeAll(settings.getAsList("ignored_scripts"));
            int f = 0;
            f |= scripts.contains("han") ? CJKBigramFilter.HAN : 0;
            f |= scripts.contains("hiragana") ? CJKBigramFilter.HIRAGANA : 0;
            f |= scripts.contains("katakana") ? CJKBigramFilter.KATAKANA : 0;
            f |= scripts.contains("hangul") ? CJKBigramFilter.HANGUL : 0;
            flags = f;
        }

        @Override
        public TokenStream create(TokenStream in) {
            CJKBigramFilter filter = new CJKBigramFilter(in, flags, outputUnigrams);
            if (outputUnigrams) {
                // Unigrams and bigrams overlap: no graph analysis (as in analysis-common).
                filter.addAttribute(DisableGraphAttribute.class);
            }
            return filter;
        }
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "lowercase", (is, env, name, s) -> lowercase(name, s),
            "uppercase", (is, env, name, s) -> new Normalizing(name, s, UpperCaseFilter::new),
            "asciifolding", (is, env, name, s) -> new Normalizing(
                name, s, in -> new ASCIIFoldingFilter(in, s.getAsBoolean("preserve_original", false))),
            "cjk_width", (is, env, name, s) -> new Normalizing(name, s, CJKWidthFilter::new),
            "cjk_bigram", (is, env, name, s) -> new CjkBigram(name, s),
            "trim", (is, env, name, s) -> new Normalizing(name, s, TrimFilter::new)
        );
    }

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        return Map.of(
            "keyword", (is, env, name, s) -> TokenizerFactory.newFactory(
                name, () -> new KeywordTokenizer(s.getAsInt("buffer_size", 256))),
            "whitespace", (is, env, name, s) -> TokenizerFactory.newFactory(name, WhitespaceTokenizer::new)
        );
    }

    // Names usable without settings, e.g. in _analyze without an index or in a normalizer
    // (the server itself pre-configures "lowercase").
    @Override
    public List<PreConfiguredTokenFilter> getPreConfiguredTokenFilters() {
        List<PreConfiguredTokenFilter> filters = new ArrayList<>();
        filters.add(PreConfiguredTokenFilter.singleton("uppercase", true, UpperCaseFilter::new));
        filters.add(PreConfiguredTokenFilter.singleton("asciifolding", true, ASCIIFoldingFilter::new));
        filters.add(PreConfiguredTokenFilter.singleton("cjk_width", true, CJKWidthFilter::new));
        filters.add(PreConfiguredTokenFilter.singleton("cjk_bigram", false, CJKBigramFilter::new));
        filters.add(PreConfiguredTokenFilter.singleton("trim", true, TrimFilter::new));
        return filters;
    }

    @Override
    public List<PreConfiguredTokenizer> getPreConfiguredTokenizers() {
        return List.of(
            PreConfiguredTokenizer.singleton("keyword", KeywordTokenizer::new),
            PreConfiguredTokenizer.singleton("whitespace", WhitespaceTokenizer::new)
        );
    }
}
