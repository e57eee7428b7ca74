package dev.custody.client.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
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
    record SignedTag(
            @JsonProperty("SignedTag") String tag,
            @JsonProperty("Digest") String digest,
            @JsonProperty("Signers") List<String> signers) {}

    /** docker omits an empty {@code Keys} ({@code json:",omitempty"}). */
    @JsonPropertyOrder({"Name", "Keys"})
    record Signer(
            @JsonProperty("Name") String name,

            @JsonProperty("Keys") @JsonInclude(JsonInclude.Include.NON_EMPTY)
            List<Key> keys) {}

    record Key(@JsonProperty("ID") String id) {}

    /**
     * Builds the view by docker's rules (docker/cli {@code cli/command/trust}): a tag+digest is listed only
     * when {@code targets} or {@code targets/releases} holds it ("released"); its signers are the other
     * roles holding the same tag+digest, in the order they are met, or "Repo Admin" when there are none.
     * Tags sort in natural order; the JSON lists signers by name descending, keys in the metadata's order.
     *
     * @param tag only this tag, or null for all
     * @param targets every (role, target) pair, in notary's walk order (targets first, then the
     *     delegations breadth first as their parents list them); a name may appear once per role
     * @param delegations the delegation roles, breadth first, with key IDs in the metadata's order
     */
    static TrustView of(
            String name,
            String tag,
            Collection<TargetInfo> targets,
            Collection<DelegationInfo> delegations,
            Collection<String> rootKeyIds,
            Collection<String> targetsKeyIds) {
        Map<List<String>, List<String>> released = new LinkedHashMap<>();
        for (TargetInfo t : targets) {
            if ((tag == null || tag.equals(t.name())) && isReleased(role(t))) {
                released.putIfAbsent(List.of(t.name(), t.sha256()), new ArrayList<>());
            }
        }
        for (TargetInfo t : targets) {
            List<String> signers = released.get(List.of(t.name(), t.sha256()));
            if (signers != null && !isReleased(role(t))) {
                signers.add(signerName(role(t)));
            }
        }
        List<SignedTag> tags = new ArrayList<>();
        released.forEach((k, signers) -> tags.add(
                new SignedTag(k.get(0), k.get(1), signers.isEmpty() ? List.of(REPO_ADMIN) : List.copyOf(signers))));
        tags.sort((a, b) -> NaturalOrder.compare(a.tag(), b.tag()));
        Map<String, List<String>> byName = new LinkedHashMap<>();
        for (DelegationInfo d : delegations) {
            if (d.role().startsWith("targets/") && !d.role().equals(RELEASES)) {
                byName.put(signerName(d.role()), d.keyIds());
            }
        }
        List<Signer> signers = new ArrayList<>();
        byName.forEach((n, ids) -> signers.add(new Signer(n, keys(ids))));
        signers.sort(Comparator.comparing(Signer::name).reversed());
        // docker's JSON sorts the administrative roles by name descending: Root, then Repository
        List<Signer> admin =
                List.of(new Signer("Root", keys(rootKeyIds)), new Signer("Repository", keys(targetsKeyIds)));
        return new TrustView(name, tags, signers, admin);
    }

    private static String role(TargetInfo t) {
        return t.role() == null ? "targets" : t.role();
    }

    private static boolean isReleased(String role) {
        return role.equals("targets") || role.equals(RELEASES);
    }

    private static List<Key> keys(Collection<String> ids) {
        return ids.stream().map(Key::new).toList();
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
                // a tag with no signer but its releases role shows "(Repo Admin)"; other signers sort bytewise
                List<String> names = t.signers().equals(List.of(REPO_ADMIN))
                        ? List.of("(" + REPO_ADMIN + ")")
                        : t.signers().stream().sorted().toList();
                rows.add(new String[] {t.tag(), t.digest(), String.join(", ", names)});
            }
            sb.append(dockerTable(rows));
        }
        if (!signers.isEmpty()) {
            sb.append("\nList of signers and their keys for ").append(name).append("\n\n");
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"SIGNER", "KEYS"});
            List<Signer> byName = signers.stream()
                    .sorted((a, b) -> NaturalOrder.compare(a.name(), b.name()))
                    .toList();
            for (Signer s : byName) {
                rows.add(new String[] {
                    s.name(),
                    s.keys().stream().map(k -> shortId(k.id())).sorted().collect(Collectors.joining(", "))
                });
            }
            sb.append(dockerTable(rows));
        }
        sb.append("\nAdministrative keys for ").append(name).append("\n\n");
        List<Signer> adminPretty = administrativeKeys.stream()
                .sorted(Comparator.comparing((Signer a) -> !a.name().equals("Repository")))
                .toList();
        for (Signer a : adminPretty) {
            sb.append("  ")
                    .append(a.name())
                    .append(" Key:\t")
                    .append(a.keys().stream().map(Key::id).sorted().collect(Collectors.joining(", ")))
                    .append('\n');
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
