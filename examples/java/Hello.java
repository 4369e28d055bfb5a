// A small service: a ServerSocket answering each line with its upper case.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

public class Hello {
    public static void main(String[] args) throws Exception {
        try (ServerSocket server = new ServerSocket(Integer.parseInt(args[0]), 50, InetAddress.getLoopbackAddress())) {
            for (;;) {
                try (Socket s = server.accept();
                     BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream()));
                     PrintWriter out = new PrintWriter(s.getOutputStream(), true)) {
                    String line = in.readLine();
                    if (line == null)
                        continue; /* a client that only connected */
                    if (line.equals("quit"))
                        return;
                    out.println(line.toUpperCase() + " from " + System.getProperty("java.vm.name"));
                }
            }
        }
    }
}
