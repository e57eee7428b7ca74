package dev.custody.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.client.protocol.BoundedLineReader;
import dev.custody.client.protocol.CustodyException;
import dev.custody.client.protocol.Protocol;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A scripted custodyd for CLI tests: answers each method with a canned result or a
 * {@link CustodyException}, records every request. Methods nobody scripted get METHOD_NOT_FOUND,
 * as a daemon without that extension answers.
 */
final class FakeDaemon implements Closeable {
  private static final ObjectMapper MAPPER = Protocol.newMapper();
  private final AFUNIXServerSocket server;
  private final Path socket;
  private final Map<String, Object> answers = new ConcurrentHashMap<>();
  private final Map<String, List<JsonNode>> notices = new ConcurrentHashMap<>();
  final List<JsonNode> requests = new CopyOnWriteArrayList<>();

  FakeDaemon(Path socket) throws IOException {
    this.socket = socket;
    this.server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(socket));
    Thread t = new Thread(this::serve, "fake-custodyd");
    t.setDaemon(true);
    t.start();
  }

  Path socket() {
    return socket;
  }

  /** Answers {@code method} with {@code result} (JSON text). */
  FakeDaemon on(String method, String resultJson) {
    try {
      answers.put(method, MAPPER.readTree(resultJson));
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
    return this;
  }

  /** Answers {@code method} with an error. */
  FakeDaemon fail(String method, CustodyException error) {
    answers.put(method, error);
    return this;
  }

  /** Sends these notice params (JSON text, each a {@code params} object) before each answer to {@code method}. */
  FakeDaemon noticesBefore(String method, String... noticeParams) {
    List<JsonNode> n = new java.util.ArrayList<>();
    for (String p : noticeParams) {
      try {
        n.add(MAPPER.readTree(p));
      } catch (IOException e) {
        throw new IllegalArgumentException(e);
      }
    }
    notices.put(method, n);
    return this;
  }

  /** The params of the last request for {@code method}. */
  JsonNode params(String method) {
    for (int i = requests.size() - 1; i >= 0; i--) {
      if (requests.get(i).path("method").asText().equals(method)) {
        return requests.get(i).path("params");
      }
    }
    throw new AssertionError("no request for " + method + " in " + requests);
  }

  List<String> methods() {
    return requests.stream().map(r -> r.path("method").asText()).toList();
  }

  private void serve() {
    while (!server.isClosed()) {
      try {
        AFUNIXSocket s = server.accept();
        Thread t = new Thread(() -> handle(s), "fake-custodyd-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void handle(AFUNIXSocket s) {
    try (s) {
      BoundedLineReader in = new BoundedLineReader(s.getInputStream(), 1 << 20);
      OutputStream out = s.getOutputStream();
      byte[] line;
      while ((line = in.readLine()) != null) {
        JsonNode req = MAPPER.readTree(line);
        requests.add(req);
        ObjectNode resp = JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0");
        resp.set("id", req.get("id"));
        Object a = answers.get(req.path("method").asText());
        if (a instanceof JsonNode j) {
          resp.set("result", j);
        } else if (a instanceof CustodyException e) {
          resp.set("error", MAPPER.valueToTree(e.toRpcError()));
        } else {
          resp.set("error", MAPPER.valueToTree(new dev.custody.client.protocol.MethodNotFoundException(
              req.path("method").asText()).toRpcError()));
        }
        for (JsonNode p : notices.getOrDefault(req.path("method").asText(), List.of())) {
          ObjectNode n = JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0").put("method", "notice");
          n.set("params", p);
          out.write((MAPPER.writeValueAsString(n) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        out.write((MAPPER.writeValueAsString(resp) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (SocketException e) {
      // client went away
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
