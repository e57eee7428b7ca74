package dev.custody.daemon.repo;

import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.config.TokenConfig;
import dev.custody.daemon.keys.KeyService;
import dev.custody.daemon.rpc.CallerIdentity;
import dev.custody.protocol.CustodyException;
import dev.custody.tuf.UnsupportedKeyTypeException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.KeyRing;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Token holders before signing: keys on a token with {@code holders} sign only after one of that token's
 * holders approved ({@link Approvals#awaitHolders}); keys on other tokens sign as before.
 *
 * <p>Call sequence: the operation lists what it will sign as {@link Need}s (for a root: the new root's
 * root keys and threshold and, in a rotation, the current root's), then {@link #gate} asks the holders of
 * every token whose keys are needed, at once, and returns once enough of them approved: for each need,
 * signatures from keys on tokens without holders plus keys on approved tokens reach the need's threshold
 * (k of a k-of-n root; with {@code partial}, as many as the ring can give, for a ceremony signed in
 * several places). The returned ring is the given one without the keys of tokens not approved, so
 * nothing is ever signed with an unapproved holder's token, also for roles no need lists.
 */
public final class TokenHolderGate {
    /**
     * One signature requirement.
     *
     * @param role for the pending entry's text
     * @param keys the keys that may sign it
     * @param threshold how many signatures it needs
     * @param signedBy key IDs that signed already (a ceremony bundle collected elsewhere)
     * @param partial this signing may contribute fewer than the threshold (the rest comes elsewhere)
     */
    public record Need(String role, Collection<TufKey> keys, int threshold, Set<String> signedBy, boolean partial) {
        public Need(String role, Collection<TufKey> keys, int threshold) {
            this(role, keys, threshold, Set.of(), false);
        }
    }

    private final DaemonContext ctx;
    private final Supplier<KeyService> keys;
    private final Approvals approvals;

    TokenHolderGate(DaemonContext ctx, Supplier<KeyService> keys, Approvals approvals) {
        this.ctx = ctx;
        this.keys = keys;
        this.approvals = approvals;
    }

    /**
     * Waits for the holders' approvals {@code needs} call for (none when no needed key is on a token with
     * holders) and returns {@code ring} restricted to approved tokens and tokens without holders.
     *
     * @throws dev.custody.protocol.ApprovalDeniedException a holder denied, or the timeout passed
     */
    KeyRing gate(CallerIdentity caller, String method, String gun, String summary, KeyRing ring, List<Need> needs)
            throws CustodyException {
        Map<String, TokenConfig> tokens = tokensWithHolders();
        if (tokens.isEmpty()) {
            return ring;
        }
        KeyService ks = keys.get();
        // for each need: the keys the ring holds (not signed yet), each with its holder token or null
        List<Map<String, String>> available = new ArrayList<>();
        List<Integer> wanted = new ArrayList<>();
        Map<String, Approvals.TokenAsk> asks = new LinkedHashMap<>();
        boolean impossible = false;
        for (Need n : needs) {
            Map<String, String> avail = new LinkedHashMap<>();
            Map<String, TufKey> byId = new LinkedHashMap<>();
            int signed = 0;
            for (TufKey k : n.keys()) {
                if (n.signedBy().contains(k.id())) {
                    signed++;
                    continue;
                }
                if (ring.find(k).isPresent()) {
                    avail.put(k.id(), holderToken(ks, tokens, k).orElse(""));
                    byId.put(k.id(), k);
                }
            }
            int remaining = Math.max(0, n.threshold() - signed);
            int want = n.partial() ? Math.min(remaining, avail.size()) : remaining;
            if (avail.size() < want) {
                impossible = true; // signing fails on the threshold; ask nobody
            }
            available.add(avail);
            wanted.add(want);
            long free = avail.values().stream().filter(String::isEmpty).count();
            if (free < want) {
                ask(asks, ks, tokens, n.role(), avail, byId);
            }
        }
        Set<String> approved = Set.of();
        if (!impossible && !asks.isEmpty()) {
            approved = approvals.awaitHolders(
                    caller,
                    method,
                    gun,
                    needs.isEmpty() ? null : needs.get(0).role(),
                    summary,
                    List.copyOf(asks.values()),
                    ok -> enough(available, wanted, ok));
        }
        return restricted(ring, ks, tokens, new LinkedHashSet<>(approved));
    }

    /** The configured tokens that have holders, by name. */
    private Map<String, TokenConfig> tokensWithHolders() {
        Map<String, TokenConfig> tokens = new LinkedHashMap<>();
        for (TokenConfig t : ctx.config().tokens()) {
            if (t.holders().any()) {
                tokens.put(t.name(), t);
            }
        }
        return tokens;
    }

    /** Adds to {@code asks} the holder tokens of the available keys {@code avail} of {@code role}. */
    private static void ask(
            Map<String, Approvals.TokenAsk> asks,
            KeyService ks,
            Map<String, TokenConfig> tokens,
            String role,
            Map<String, String> avail,
            Map<String, TufKey> byId) {
        for (Map.Entry<String, String> e : avail.entrySet()) {
            if (!e.getValue().isEmpty()) {
                TokenConfig t = tokens.get(e.getValue());
                Approvals.TokenAsk a = asks.computeIfAbsent(
                        t.name(),
                        name -> new Approvals.TokenAsk(
                                name,
                                serialOf(ks, byId.get(e.getKey()), t),
                                t.holders(),
                                new ArrayList<>(),
                                new ArrayList<>()));
                if (!a.keyIds().contains(e.getKey())) {
                    a.keyIds().add(e.getKey());
                }
                if (!a.roles().contains(role)) {
                    a.roles().add(role);
                }
            }
        }
    }

    /** Whether the approved tokens {@code ok} (with the tokens without holders) give every need its keys. */
    private static boolean enough(List<Map<String, String>> available, List<Integer> wanted, Set<String> ok) {
        for (int i = 0; i < available.size(); i++) {
            long usable = available.get(i).values().stream()
                    .filter(t -> t.isEmpty() || ok.contains(t))
                    .count();
            if (usable < wanted.get(i)) {
                return false;
            }
        }
        return true;
    }

    /** {@code ring} without the keys of holder tokens that were not approved. */
    private static KeyRing restricted(
            KeyRing ring, KeyService ks, Map<String, TokenConfig> tokens, Set<String> allowed) {
        return key -> {
            Optional<dev.custody.tuf.sign.Signer> s = ring.find(key);
            if (s.isEmpty()) {
                return s;
            }
            Optional<String> t = holderToken(ks, tokens, key);
            return t.isPresent() && !allowed.contains(t.get()) ? Optional.empty() : s;
        };
    }

    /** The token with holders that keeps {@code key}'s private key, if it is one. */
    private static Optional<String> holderToken(KeyService ks, Map<String, TokenConfig> tokens, TufKey key) {
        return ks.findKey(bareId(key)).map(KeyService.KeyRecord::tokenName).filter(tokens::containsKey);
    }

    /** The token's serial as the inventory recorded it when the key was made, else as configured. */
    private static String serialOf(KeyService ks, TufKey key, TokenConfig t) {
        return ks.findKey(bareId(key))
                .map(KeyService.KeyRecord::tokenSerial)
                .or(t::findSerial)
                .orElse(null);
    }

    /** The bare key's ID (a root certificate's key), under which the inventory knows it. */
    static String bareId(TufKey k) {
        try {
            return PublicKeys.canonicalKeyId(k);
        } catch (UnsupportedKeyTypeException e) {
            return k.id();
        }
    }
}
