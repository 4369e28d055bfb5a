// A Java workload for coffer's integration tests (issue 4, item 2): 32
// threads on a ConcurrentHashMap, NullPointerException and
// ArrayIndexOutOfBoundsException caught 10,000 times each (the JVM finds
// them with SIGSEGV and guard checks), a ServerSocket/Socket exchange, and
// System.exit(3). Every line it prints is deterministic.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

public class JavaApp {
    static int[] small = new int[4];
    static Object nothing;

    static long mapWorkload() throws InterruptedException {
        ConcurrentHashMap<Integer, Long> map = new ConcurrentHashMap<>();
        AtomicLong ops = new AtomicLong();
        Thread[] threads = new Thread[32];
        for (int t = 0; t < threads.length; t++) {
            final int id = t;
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 20000; i++) {
                    map.merge(i % 1000, (long) (id + 1), Long::sum);
                    ops.incrementAndGet();
                }
            });
            threads[t].start();
        }
        for (Thread t : threads)
            t.join();
        long total = 0;
        for (long v : map.values())
            total += v;
        // each thread adds id+1 20,000 times: 20000 * (1 + ... + 32)
        return total == 20000L * (32 * 33 / 2) && ops.get() == 32 * 20000 && map.size() == 1000 ? total : -1;
    }

    static int exceptions() {
        int npe = 0, aioobe = 0;
        for (int i = 0; i < 10000; i++) {
            try {
                nothing.hashCode();
            } catch (NullPointerException e) {
                npe++;
            }
            try {
                small[4 + (i % 3)] = i;
            } catch (ArrayIndexOutOfBoundsException e) {
                aioobe++;
            }
        }
        return npe + aioobe;
    }

    static String sockets() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = server.accept();
                     BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream()));
                     PrintWriter out = new PrintWriter(s.getOutputStream(), true)) {
                    String line;
                    while ((line = in.readLine()) != null)
                        out.println(line.toUpperCase());
                } catch (Exception e) {
                    e.printStackTrace();
                }
            });
            t.start();
            StringBuilder got = new StringBuilder();
            try (Socket c = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                 BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream()));
                 PrintWriter out = new PrintWriter(c.getOutputStream(), true)) {
                for (String w : new String[] { "hello", "from", "coffer" }) {
                    out.println(w);
                    got.append(in.readLine()).append(' ');
                }
            }
            t.join();
            return got.toString().trim();
        }
    }

    public static void main(String[] args) throws Exception {
        System.out.println("map " + mapWorkload());
        System.out.println("exceptions " + exceptions());
        System.out.println("sockets " + sockets());
        System.out.flush();
        System.exit(3);
    }
}
