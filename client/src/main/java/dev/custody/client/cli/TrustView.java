package dev.custody.client.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.custody.protocol.DelegationInfo;
import dev.custody.protocol.TargetInfo;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What {@code docker trust inspect} shows for one name: signed tags with their signers, the signers
 * with their keys, and the administrative keys — built from custodyd's verified listing and printed
 * in docker's JSON or its {@code --pretty} tables.
 */
@JsonPropertyOrder({"Name", "SignedTags", "Signers", "AdministrativeKeys"})
record TrustView(
    @JsonProperty("Name") String name,
    @JsonProperty("SignedTags") List<SignedTag> signedTags,
    @JsonProperty("Signers") List<Signer> signers,
    @JsonProperty("AdministrativeKeys") List<Signer> administrativeKeys) {

  static final String RELEASES = "targets/releases";
  static final String REPO_ADMIN = "Repo Admin";

  @JsonPropertyOrder({"SignedTag", "Digest", "Signers"})
  record SignedTag(@JsonProperty("SignedTag") String tag, @JsonProperty("Digest") String digest,
      @JsonProperty("Signers") List<String> signers) {}

  @JsonPropertyOrder({"Name", "Keys"})
  record Signer(@JsonProperty("Name") String name, @JsonProperty("Keys") List<Key> keys) {}

  record Key(@JsonProperty("ID") String id) {}

  /**
   * Builds the view. A tag is listed once per digest; its signers are the delegation roles that
   * list it (without {@code targets/}), {@code targets/releases} only when nothing else signed it,
   * and "Repo Admin" for the targets role itself.
   *
   * @param tag only this tag, or null for all
   */
  static TrustView of(String name, String tag, Collection<TargetInfo> targets, Collection<DelegationInfo> delegations,
      Collection<String> rootKeyIds, Collection<String> targetsKeyIds) {
    Map<String, Map<String, TreeSet<String>>> byTag = new TreeMap<>();
    for (TargetInfo t : targets) {
      if (tag != null && !tag.equals(t.name())) {
        continue;
      }
      byTag.computeIfAbsent(t.name(), k -> new LinkedHashMap<>())
          .computeIfAbsent(t.sha256(), k -> new TreeSet<>()).add(t.role() == null ? "targets" : t.role());
    }
    List<SignedTag> tags = new ArrayList<>();
    byTag.forEach((t, digests) -> digests.forEach((digest, roles) -> {
      TreeSet<String> names = new TreeSet<>();
      for (String r : roles) {
        if (!r.equals(RELEASES) || roles.size() == 1) {
          names.add(signerName(r));
        }
      }
      tags.add(new SignedTag(t, digest, List.copyOf(names)));
    }));
    List<Signer> signers = delegations.stream()
        .filter(d -> !d.role().equals(RELEASES) && d.role().startsWith("targets/"))
        .sorted(Comparator.comparing(DelegationInfo::role))
        .map(d -> new Signer(signerName(d.role()), keys(d.keyIds())))
        .toList();
    // docker's JSON lists Root first; its --pretty prints the Repository key first (pretty() below)
    List<Signer> admin = List.of(new Signer("Root", keys(rootKeyIds)), new Signer("Repository", keys(targetsKeyIds)));
    return new TrustView(name, tags, signers, admin);
  }

  private static List<Key> keys(Collection<String> ids) {
    return ids.stream().sorted().distinct().map(Key::new).toList();
  }

  static String signerName(String role) {
    return role.equals("targets") ? REPO_ADMIN : role.startsWith("targets/") ? role.substring(8) : role;
  }

  /** docker trust inspect --pretty. */
  String pretty() {
    StringBuilder sb = new StringBuilder();
    if (signedTags.isEmpty()) {
      sb.append("\nNo signatures for ").append(name).append("\n\n");
    } else {
      sb.append("\nSignatures for ").append(name).append("\n\n");
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"SIGNED TAG", "DIGEST", "SIGNERS"});
      for (SignedTag t : signedTags) {
        rows.add(new String[] {t.tag(), t.digest(), t.signers().stream()
            .map(s -> s.equals(REPO_ADMIN) ? "(" + REPO_ADMIN + ")" : s).collect(Collectors.joining(", "))});
      }
      sb.append(dockerTable(rows));
    }
    if (!signers.isEmpty()) {
      sb.append("\nList of signers and their keys for ").append(name).append("\n\n");
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"SIGNER", "KEYS"});
      for (Signer s : signers) {
        rows.add(new String[] {s.name(), s.keys().stream().map(k -> shortId(k.id())).collect(Collectors.joining(", "))});
      }
      sb.append(dockerTable(rows));
    }
    sb.append("\nAdministrative keys for ").append(name).append("\n\n");
    List<Signer> adminPretty = administrativeKeys.stream()
        .sorted(Comparator.comparing((Signer a) -> !a.name().equals("Repository"))).toList();
    for (Signer a : adminPretty) {
      sb.append("  ").append(a.name()).append(" Key:\t")
          .append(a.keys().stream().map(Key::id).collect(Collectors.joining(", "))).append('\n');
    }
    return sb.toString();
  }

  static String shortId(String id) {
    return id.length() > 12 ? id.substring(0, 12) : id;
  }

  /**
   * docker's table writer (tabwriter minwidth 10, padding 3): columns at least 10 wide, 3 spaces
   * between, the last unpadded. docker CLI 23+ (28.2.2 here) uses 10; the seed's pages were made with
   * an older docker whose minwidth was 20.
   */
  static String dockerTable(List<String[]> rows) {
    int cols = rows.get(0).length;
    int[] w = new int[cols];
    for (String[] r : rows) {
      for (int i = 0; i < cols; i++) {
        w[i] = Math.max(w[i], Math.max(10, r[i].length() + 3));
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < cols; i++) {
        line.append(r[i]);
        if (i < cols - 1) {
          line.append(" ".repeat(w[i] - r[i].length()));
        }
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    return sb.toString();
  }
}
