// PDF/A validation with veraPDF's greenfield validator, one JSON line per file:
// {"file": ..., "flavour": "2b", "compliant": true, "failed": [{"rule": ..., "text": ...}]}
// Run as a single-file program: java -cp <veraPDF classpath> VeraCheck.java a.pdf b.pdf
import java.io.FileInputStream;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.verapdf.gf.foundry.VeraGreenfieldFoundryProvider;
import org.verapdf.pdfa.Foundries;
import org.verapdf.pdfa.PDFAParser;
import org.verapdf.pdfa.PDFAValidator;
import org.verapdf.pdfa.flavours.PDFAFlavour;
import org.verapdf.pdfa.results.TestAssertion;
import org.verapdf.pdfa.results.ValidationResult;

public class VeraCheck {
    static String esc(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : (s == null ? "" : s).toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }

    public static void main(String[] args) throws Exception {
        VeraGreenfieldFoundryProvider.initialise();
        for (String file : args) {
            StringBuilder out = new StringBuilder("{\"file\":\"" + esc(file) + "\"");
            try (InputStream in = new FileInputStream(file);
                 PDFAParser parser = Foundries.defaultInstance().createParser(in)) {
                PDFAFlavour flavour = parser.getFlavour();
                PDFAValidator validator = Foundries.defaultInstance().createValidator(flavour, false);
                ValidationResult result = validator.validate(parser);
                out.append(",\"flavour\":\"").append(esc(flavour.getId())).append("\"");
                out.append(",\"compliant\":").append(result.isCompliant());
                Map<String, String> failed = new LinkedHashMap<>();
                for (TestAssertion a : result.getTestAssertions()) {
                    if (a.getStatus() == TestAssertion.Status.FAILED) {
                        failed.putIfAbsent(a.getRuleId().getClause() + "-" + a.getRuleId().getTestNumber(), a.getMessage());
                    }
                }
                out.append(",\"failed\":[");
                int n = 0;
                for (Map.Entry<String, String> e : failed.entrySet()) {
                    if (n++ > 0) out.append(",");
                    out.append("{\"rule\":\"").append(esc(e.getKey())).append("\",\"text\":\"").append(esc(e.getValue())).append("\"}");
                }
                out.append("]");
            } catch (Exception e) {
                out.append(",\"error\":\"").append(esc(e.toString())).append("\"");
            }
            System.out.println(out.append("}"));
        }
    }
}
