// Logs in to a SASL_SSL listener with SCRAM-SHA-512 using Kafka's own Java client and prints
// the cluster's broker count: proof that the cluster's SCRAM credential is right, for
// tests/kafka/test_sasl.py. Run as a single-file program on the broker's classpath:
//   java -cp CLASSPATH ScramLogin.java BOOTSTRAP USER PASSWORD_FILE CA_PEM
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;

public class ScramLogin {
    public static void main(String[] args) throws Exception {
        String password = new String(Files.readAllBytes(Paths.get(args[2]))).trim();
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", "SCRAM-SHA-512");
        p.put("ssl.truststore.type", "PEM");
        p.put("ssl.truststore.location", args[3]);
        p.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                + " username=\"" + args[1] + "\" password=\"" + password + "\";");
        p.put("request.timeout.ms", "15000");
        p.put("default.api.timeout.ms", "20000");
        try (Admin admin = Admin.create(p)) {
            System.out.println("brokers " + admin.describeCluster().nodes().get().size());
        }
    }
}
