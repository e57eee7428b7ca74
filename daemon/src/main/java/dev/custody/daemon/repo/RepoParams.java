package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.protocol.BadRequestException;
import java.util.List;

/**
 * The params of the repository methods, as {@code docs/protocol-methods.md} lists them, plus the
 * optional {@code server} (a configured server's name or URL; the first configured server by default)
 * with {@code serverCaSha256} (the fingerprints of the CA certificates the caller expects for it) and,
 * where new keys are made, {@code token}. Absent optional members are null.
 */
final class RepoParams {
  private RepoParams() {}

  /** The params that name a server: by name or URL, with the CA fingerprints the caller expects. */
  interface OnServer {
    String server();

    List<String> serverCaSha256();
  }

  record Init(String gun, String rootKeyId, List<String> rootKeyIds, Integer rootThreshold,
      Boolean serverManagedSnapshot, Boolean publish, String token, String server, List<String> serverCaSha256)
      implements OnServer {}

  record Add(String gun, String target, Long length, String sha256, String sha512, String role, JsonNode custom,
      Boolean publish, String server, List<String> serverCaSha256) implements OnServer {}

  record BatchTarget(String name, Long length, String sha256, String sha512, JsonNode custom) {}

  /** @param more more parts of this batch follow (kept aside, nothing staged); @param batchId from the first part */
  record AddBatch(String gun, String role, List<BatchTarget> targets, Boolean publish, String server,
      List<String> serverCaSha256, String batchId, Boolean more) implements OnServer {}

  record Remove(String gun, String target, String role, Boolean publish, String server,
      List<String> serverCaSha256) implements OnServer {}

  record Gun(String gun, String server, List<String> serverCaSha256) implements OnServer {}

  record ListTargets(String gun, String role, String server, List<String> serverCaSha256) implements OnServer {}

  record Lookup(String gun, String target, String server, List<String> serverCaSha256) implements OnServer {}

  record Witness(String gun, List<String> roles, Boolean publish, String server, List<String> serverCaSha256)
      implements OnServer {}

  record Delete(String gun, Boolean remote, String server, List<String> serverCaSha256) implements OnServer {}

  record DelegationAdd(String gun, String role, List<String> keys, List<String> keyIds, List<String> paths,
      Boolean allPaths,
      Integer threshold, Boolean publish, String server, List<String> serverCaSha256) implements OnServer {}

  record DelegationRemove(String gun, String role, List<String> keyIds, List<String> paths, Boolean publish,
      String server, List<String> serverCaSha256) implements OnServer {}

  record Rotate(String gun, String role, Boolean serverManaged, Boolean publish, String token, String server,
      List<String> serverCaSha256) implements OnServer {}

  record Adopt(String gun, List<String> rootKeyIds, String server) {}

  record Id(String id) {}

  record Deny(String id, String reason) {}

  static String required(String value, String field) throws BadRequestException {
    if (value == null || value.isBlank()) {
      throw new BadRequestException("params." + field + " is required (a non-empty string)", "params." + field);
    }
    return value;
  }

  static boolean flag(Boolean b) {
    return b != null && b;
  }
}
