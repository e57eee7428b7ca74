package dev.custody.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custody.client.api.BatchTarget;
import dev.custody.client.api.CustodyApi;
import dev.custody.client.protocol.PolicyDeniedException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The typed client sends exactly the method names and params of docs/protocol-methods.md, and
 * reads the documented results.
 */
class ApiRequestShapesTest {
  @TempDir Path dir;
  private FakeDaemon d;
  private CustodyApi api;

  @BeforeEach
  void start() throws IOException {
    d = new FakeDaemon(dir.resolve("s.sock"));
    api = CustodyApi.connect(d.socket());
  }

  @AfterEach
  void stop() throws IOException {
    api.close();
    d.close();
  }

  private String sent(String method) {
    return d.params(method).toString();
  }

  @Test
  void tokensAndKeys() throws Exception {
    d.on("token.list", "{\"tokens\":[{\"name\":\"yk\",\"label\":\"L\",\"serial\":\"1\",\"manufacturer\":\"m\","
        + "\"model\":\"x\",\"present\":true,\"unlocked\":false,\"pinCountLow\":false,\"pinFinalTry\":false,"
        + "\"pinLocked\":false,\"keys\":3}]}");
    assertThat(api.tokenList()).singleElement().satisfies(t -> assertThat(t.keys()).isEqualTo(3));
    d.on("token.lock", "{\"token\":\"yk\"}");
    assertThat(api.tokenLock("yk")).isEqualTo("yk");
    char[] pin = "1234".toCharArray();
    d.on("token.unlock", "{\"token\":\"yk\",\"unlockedUntil\":\"t\"}");
    api.tokenUnlock("yk", pin);
    assertThat(pin).containsOnly('\0');
    d.on("key.list", "{\"keys\":[]}");
    api.keyList("g");
    assertThat(sent("key.list")).isEqualTo("{\"gun\":\"g\"}");
    d.on("key.generate", "{\"keyId\":\"k\",\"role\":\"root\",\"algorithm\":\"ecdsa\",\"token\":\"yk\","
        + "\"tokenSerial\":\"1\",\"present\":true}");
    api.keyGenerate("root", null, "yk", "ecdsa");
    assertThat(sent("key.generate")).isEqualTo("{\"role\":\"root\",\"token\":\"yk\",\"algorithm\":\"ecdsa\"}");
    d.on("key.import", "{\"keyId\":\"k\",\"role\":\"jeff\",\"softwareCopyNote\":\"delete it\"}");
    assertThat(api.keyImport("PEM", null, "jeff", null, null).softwareCopyNote()).isEqualTo("delete it");
    assertThat(sent("key.import")).isEqualTo("{\"pem\":\"PEM\",\"role\":\"jeff\"}");
    d.on("key.rotate", "{\"gun\":\"g\",\"role\":\"snapshot\",\"oldKeyIds\":[\"a\"],\"newKeyId\":\"b\",\"rootVersion\":3}");
    assertThat(api.keyRotate("g", "snapshot", true).rootVersion()).isEqualTo(3);
    assertThat(sent("key.rotate")).isEqualTo("{\"gun\":\"g\",\"role\":\"snapshot\",\"serverManaged\":true}");
    d.on("key.remove", "{\"keyId\":\"k\"}");
    api.keyRemove("k");
    assertThat(sent("key.remove")).isEqualTo("{\"keyId\":\"k\"}");
  }

  @Test
  void repositories() throws Exception {
    d.on("repo.init", "{\"gun\":\"g\",\"rootKeyIds\":[\"r\"],\"targetsKeyId\":\"t\",\"published\":true}");
    api.repoInit("g", List.of("r"), null, false, true);
    assertThat(sent("repo.init")).isEqualTo("{\"gun\":\"g\",\"rootKeyId\":\"r\",\"publish\":true}");
    api.repoInit("g", List.of("r", "s"), 2, true, false);
    assertThat(sent("repo.init")).isEqualTo("{\"gun\":\"g\",\"rootKeyIds\":[\"r\",\"s\"],\"rootThreshold\":2,"
        + "\"serverManagedSnapshot\":true}");
    d.on("repo.addBatch", "{\"gun\":\"g\",\"staged\":1}");
    api.repoAddBatch("g", null, List.of(new BatchTarget("a", 1, "ab", null)), true);
    assertThat(sent("repo.addBatch")).isEqualTo("{\"gun\":\"g\",\"targets\":[{\"name\":\"a\",\"length\":1,"
        + "\"sha256\":\"ab\"}],\"publish\":true}");
    d.on("repo.remove", "{\"gun\":\"g\",\"staged\":1}");
    api.repoRemove("g", "a", "targets/x", false);
    assertThat(sent("repo.remove")).isEqualTo("{\"gun\":\"g\",\"target\":\"a\",\"role\":\"targets/x\"}");
    d.on("repo.publish", "{\"gun\":\"g\",\"roles\":{\"targets\":2,\"snapshot\":2},\"targets\":1}");
    assertThat(api.repoPublish("g").roles()).containsEntry("targets", 2);
    d.on("repo.witness", "{\"gun\":\"g\",\"staged\":1}");
    api.repoWitness("g", List.of("targets"), false);
    assertThat(sent("repo.witness")).isEqualTo("{\"gun\":\"g\",\"roles\":[\"targets\"]}");
    d.on("repo.delete", "{\"gun\":\"g\",\"local\":true,\"remote\":true}");
    assertThat(api.repoDelete("g", true).remote()).isTrue();
    assertThat(sent("repo.delete")).isEqualTo("{\"gun\":\"g\",\"remote\":true}");
    d.on("repo.reset", "{\"gun\":\"g\",\"dropped\":4}");
    assertThat(api.repoReset("g").dropped()).isEqualTo(4);
  }

  @Test
  void delegationsApprovalsAudit() throws Exception {
    d.on("delegation.add", "{\"gun\":\"g\",\"role\":\"targets/r\",\"keyIds\":[\"k\"],\"staged\":1}");
    api.delegationAdd("g", "targets/r", List.of("PEM"), List.of(), true, null, true);
    assertThat(sent("delegation.add")).isEqualTo("{\"gun\":\"g\",\"role\":\"targets/r\",\"keys\":[\"PEM\"],"
        + "\"allPaths\":true,\"publish\":true}");
    d.on("delegation.remove", "{\"gun\":\"g\",\"role\":\"targets/r\",\"staged\":1}");
    api.delegationRemove("g", "targets/r", List.of("k"), List.of(), false);
    assertThat(sent("delegation.remove")).isEqualTo("{\"gun\":\"g\",\"role\":\"targets/r\",\"keyIds\":[\"k\"]}");
    d.on("pending.deny", "{\"id\":\"p\",\"state\":\"denied\"}");
    assertThat(api.pendingDeny("p", "no").state()).isEqualTo("denied");
    assertThat(sent("pending.deny")).isEqualTo("{\"id\":\"p\",\"reason\":\"no\"}");
    d.on("audit.tail", "{\"entries\":[{\"seq\":1,\"event\":\"daemon.start\"}]}");
    assertThat(api.auditTail(5)).hasSize(1);
    assertThat(sent("audit.tail")).isEqualTo("{\"lines\":5}");
    d.on("audit.verify", "{\"ok\":false,\"lines\":9,\"firstBadLine\":7,\"reason\":\"hash\"}");
    assertThat(api.auditVerify().firstBadLine()).isEqualTo(7L);
  }

  @Test
  void errors_areTheTypedExceptions() {
    d.fail("repo.publish", new PolicyDeniedException("ci", "publish", "g", "targets", "denied by rule ci"));
    assertThatThrownBy(() -> api.repoPublish("g")).isInstanceOfSatisfying(PolicyDeniedException.class,
        e -> assertThat(e.rule()).contains("ci"));
  }
}
