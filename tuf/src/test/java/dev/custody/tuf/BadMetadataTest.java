package dev.custody.tuf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custody.tuf.model.DelegatedRole;
import dev.custody.tuf.model.Delegations;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.Snapshot;
import dev.custody.tuf.model.Targets;
import dev.custody.tuf.model.Timestamp;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.KeyRing;
import dev.custody.tuf.server.NotaryClient;
import dev.custody.tuf.sign.Signing;
import dev.custody.tuf.testing.InMemoryRepo;
import dev.custody.tuf.testing.NotaryFixtures;
import dev.custody.tuf.testing.NotaryKeys;
import dev.custody.tuf.testing.SoftwareSigner;
import dev.custody.tuf.testing.Swizzler;
import dev.custody.tuf.update.FileTrustedMetaStore;
import dev.custody.tuf.update.Updater;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad metadata is refused with its own exception and the trusted copy stays as it was. Each case starts
 * from a real repository built by the notary CLI ({@code delegation} or {@code delegation-paths}
 * fixture), trusted once through the updater, then served with one thing broken by the {@link Swizzler},
 * re-signed with the repository's own keys (decrypted from the notary trust dir) where the break needs it.
 * The server's timestamp key is not available to tests, so the baseline hands the timestamp role to a
 * test key in the same root version, re-signed by notary's root key.
 */
class BadMetadataTest {
    @TempDir
    Path tmp;

    private String gun;
    private Swizzler swizzler;
    private FileTrustedMetaStore store;
    private Map<String, String> trustedBefore;
    private final Clock clock = Clock.systemUTC();

    @BeforeEach
    void trustBaseline() throws Exception {
        baseline("delegation");
    }

    private void baseline(String scenario) throws Exception {
        NotaryFixtures fx = NotaryFixtures.get();
        gun = fx.gun(scenario);
        NotaryClient client = fx.client();
        InMemoryRepo repo = new InMemoryRepo();
        for (String role : List.of("root", "targets", "snapshot", "timestamp", "targets/releases")) {
            repo.put(role, client.getRole(gun, role));
        }
        NotaryKeys keys = fx.keysOf(scenario);
        Targets top = (Targets) Signed.parse(repo.get("targets"), "targets").signed();
        TufKey releasesKey = top.delegationsOrEmpty().keys().values().iterator().next();
        keys.with(releasesKey, fx.scenarioFile(scenario, "releases.key"));
        SoftwareSigner ts = SoftwareSigner.ed25519();
        swizzler = new Swizzler(repo, keys.and(KeyRing.of(List.of(ts))));
        swizzler.takeOverTimestamp(ts);
        store = new FileTrustedMetaStore(tmp.resolve("trust-" + scenario));
        updater().update();
        trustedBefore = trusted();
        assertThat(trustedBefore).containsKeys("root", "timestamp", "snapshot", "targets", "targets/releases");
    }

    private Updater updater() {
        return Updater.builder()
                .gun(gun)
                .fetcher(swizzler.repo())
                .store(store)
                .clock(clock)
                .build();
    }

    private Map<String, String> trusted() throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (String role : store.roles(gun)) {
            out.put(role, HexFormat.of().formatHex(store.get(gun, role)));
        }
        return out;
    }

    private void assertTrustedUnchanged() throws Exception {
        assertThat(trusted()).isEqualTo(trustedBefore);
    }

    @Test
    void update_badSignature() throws Exception {
        // targets gains a target but keeps its old signature; snapshot and timestamp are re-signed over it
        Signed<Targets> old = swizzler.parsed("targets");
        Targets changed = old.signed()
                .withTarget("evil", FileMeta.of("evil".getBytes(StandardCharsets.UTF_8)))
                .withVersion(old.version() + 1);
        swizzler.put("targets", Signed.unsigned("targets", changed).withSignatures(old.signatures()));
        swizzler.refreshSnapshot("targets").refreshTimestamp();

        assertThatThrownBy(() -> updater().update()).isInstanceOfSatisfying(InvalidSignatureException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.SIGNATURE_INVALID);
            assertThat(e.code().family()).isEqualTo(ErrorCode.METADATA_INVALID);
            assertThat(e.role()).contains("targets");
            assertThat(e.needed()).isEqualTo(1);
            assertThat(e.found()).isZero();
            assertThat(e.invalidKeyIds())
                    .containsExactly(old.signatures().get(0).keyId());
        });
        assertTrustedUnchanged();
    }

    @Test
    void update_corruptedTimestampSignature() throws Exception {
        swizzler.refreshTimestamp().corruptSignatures("timestamp");
        assertThatThrownBy(() -> updater().update())
                .isInstanceOfSatisfying(
                        InvalidSignatureException.class,
                        e -> assertThat(e.role()).contains("timestamp"));
        assertTrustedUnchanged();
    }

    @Test
    void update_belowThreshold() throws Exception {
        // the delegated role re-signed with version + 1 but its signatures dropped
        swizzler.change("targets/releases", (Targets t) -> t.withVersion(t.version() + 1));
        swizzler.signatures("targets/releases", List.of());
        swizzler.refreshSnapshot("targets/releases").refreshTimestamp();

        assertThatThrownBy(() -> updater().update()).isInstanceOfSatisfying(SignatureThresholdException.class, e -> {
            assertThat(e).isNotInstanceOf(InvalidSignatureException.class);
            assertThat(e.code()).isEqualTo(ErrorCode.SIGNATURE_THRESHOLD);
            assertThat(e.role()).contains("targets/releases");
            assertThat(e.needed()).isEqualTo(1);
            assertThat(e.found()).isZero();
            assertThat(e.missingKeyIds()).hasSize(1);
        });
        assertTrustedUnchanged();
    }

    @Test
    void update_expired() throws Exception {
        OffsetDateTime past = OffsetDateTime.now(ZoneOffset.UTC).minusDays(1);
        swizzler.change("snapshot", (Snapshot s) -> s.withExpires(past).withVersion(s.version() + 1));

        assertThatThrownBy(() -> updater().update()).isInstanceOfSatisfying(ExpiredMetadataException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.METADATA_EXPIRED);
            assertThat(e.role()).contains("snapshot");
            assertThat(e.expires()).isEqualTo(past.toInstant());
            assertThat(e.now()).isAfter(e.expires());
        });
        assertTrustedUnchanged();
    }

    @Test
    void update_versionRollback() throws Exception {
        int trusted = swizzler.parsed("targets").version();
        swizzler.change("targets", (Targets t) -> t.withVersion(trusted - 1));

        assertThatThrownBy(() -> updater().update()).isInstanceOfSatisfying(RollbackException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.METADATA_ROLLBACK);
            assertThat(e.role()).contains("targets");
            assertThat(e.trustedVersion()).isEqualTo(trusted);
            assertThat(e.foundVersion()).isEqualTo(trusted - 1);
        });
        assertTrustedUnchanged();
    }

    @Test
    void update_timestampRollback() throws Exception {
        int trusted = swizzler.parsed("timestamp").version();
        swizzler.resign("timestamp", (Timestamp t) -> t.withVersion(trusted - 1));

        assertThatThrownBy(() -> updater().update()).isInstanceOfSatisfying(RollbackException.class, e -> {
            assertThat(e.role()).contains("timestamp");
            assertThat(e.trustedVersion()).isEqualTo(trusted);
            assertThat(e.foundVersion()).isEqualTo(trusted - 1);
        });
        assertTrustedUnchanged();
    }

    @Test
    void update_snapshotHashMismatch() throws Exception {
        // the timestamp names snapshot v+1, the server serves a different snapshot v+2 of the same length
        swizzler.resign("snapshot", (Snapshot s) -> s.withVersion(s.version() + 1))
                .refreshTimestamp();
        swizzler.resign("snapshot", (Snapshot s) -> s.withVersion(s.version() + 1));
        byte[] served = swizzler.repo().get("snapshot");
        String servedHash = HexFormat.of().formatHex(sha256(served));

        assertThatThrownBy(() -> updater().update()).isInstanceOfSatisfying(HashMismatchException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.METADATA_HASH_MISMATCH);
            assertThat(e.role()).contains("snapshot");
            assertThat(e.what()).isEqualTo("sha256");
            assertThat(e.found()).isEqualTo(servedHash);
        });
        assertTrustedUnchanged();
    }

    @Test
    void update_targetsHashMismatch() throws Exception {
        // the snapshot names targets v+1, the server serves targets v+2 of the same length
        swizzler.change("targets", (Targets t) -> t.withVersion(t.version() + 1));
        swizzler.resign("targets", (Targets t) -> t.withVersion(t.version() + 1));

        assertThatThrownBy(() -> updater().update()).isInstanceOfSatisfying(HashMismatchException.class, e -> {
            assertThat(e.role()).contains("targets");
            assertThat(e.what()).isEqualTo("sha256");
        });
        assertTrustedUnchanged();
    }

    @Test
    void update_delegationOutsidePaths() throws Exception {
        baseline("delegation-paths");
        swizzler.change(
                "targets/releases",
                (Targets t) -> t.withTarget("other/evil", FileMeta.of("evil".getBytes(StandardCharsets.UTF_8)))
                        .withVersion(t.version() + 1));

        assertThatThrownBy(() -> updater().update()).isInstanceOfSatisfying(DelegationPathException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.DELEGATION_PATH_VIOLATION);
            assertThat(e.role()).contains("targets/releases");
            assertThat(e.target()).isEqualTo("other/evil");
            assertThat(e.allowedPaths()).containsExactly("release/");
        });
        assertTrustedUnchanged();
    }

    @Test
    void update_rootRotationNotSignedByOldRoot() throws Exception {
        // root v+1 names a new root key and is signed by it alone
        SoftwareSigner newRoot = SoftwareSigner.ecdsa();
        TufKey cert = dev.custody.tuf.keys.PublicKeys.toTufKey(
                dev.custody.tuf.keys.RootCertificates.create(newRoot, gun, clock));
        Root current = (Root) swizzler.parsed("root").signed();
        Root next = current.withRoleKeys("root", List.of(cert), 1).withVersion(current.version() + 1);
        byte[] bytes = Signing.sign("root", next, List.of(newRoot.as(cert))).toBytes();
        swizzler.putBytes("root", bytes);

        assertThatThrownBy(() -> updater().update()).isInstanceOfSatisfying(RootRotationException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.ROOT_ROTATION_INVALID);
            assertThat(e.byTrustedKeys()).isTrue();
            assertThat(e.trustedVersion()).isEqualTo(current.version());
            assertThat(e.newVersion()).isEqualTo(current.version() + 1);
            assertThat(e.needed()).isEqualTo(1);
            assertThat(e.found()).isZero();
        });
        assertTrustedUnchanged();
    }

    @Test
    void update_rootRotationNotSignedByNewRoot() throws Exception {
        // root v+1 names a new root key but is signed by the old root key only
        SoftwareSigner newRoot = SoftwareSigner.ecdsa();
        TufKey cert = dev.custody.tuf.keys.PublicKeys.toTufKey(
                dev.custody.tuf.keys.RootCertificates.create(newRoot, gun, clock));
        Root current = (Root) swizzler.parsed("root").signed();
        Root next = current.withRoleKeys("root", List.of(cert), 1).withVersion(current.version() + 1);
        swizzler.put("root", Signing.sign("root", next, swizzler.signersFor("root", current)));

        assertThatThrownBy(() -> updater().update())
                .isInstanceOfSatisfying(
                        RootRotationException.class,
                        e -> assertThat(e.byTrustedKeys()).isFalse());
        assertTrustedUnchanged();
    }

    @Test
    void update_oversizedResponse() throws Exception {
        // the snapshot served is longer than the timestamp says (padding after the JSON)
        swizzler.resign("snapshot", (Snapshot s) -> s.withVersion(s.version() + 1));
        byte[] snap = swizzler.repo().get("snapshot");
        byte[] padded = Arrays.copyOf(snap, snap.length + 1_000_000);
        Arrays.fill(padded, snap.length, padded.length, (byte) ' ');
        swizzler.resign(
                "timestamp",
                (Timestamp t) -> t.withMeta("snapshot", FileMeta.of(snap)).withVersion(t.version() + 1));
        swizzler.putBytes("snapshot", padded);

        assertThatThrownBy(() -> updater().update()).isInstanceOfSatisfying(OversizedMetadataException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.METADATA_TOO_LARGE);
            assertThat(e.role()).contains("snapshot");
            assertThat(e.limit()).isEqualTo(snap.length);
        });
        assertTrustedUnchanged();
    }

    @Test
    void update_oversizedTimestamp() throws Exception {
        swizzler.refreshTimestamp();
        Updater small = Updater.builder()
                .gun(gun)
                .fetcher(swizzler.repo())
                .store(store)
                .clock(clock)
                .maxTimestampBytes(100)
                .build();
        assertThatThrownBy(small::update).isInstanceOfSatisfying(OversizedMetadataException.class, e -> {
            assertThat(e.role()).contains("timestamp");
            assertThat(e.limit()).isEqualTo(100);
        });
        assertTrustedUnchanged();
    }

    @Test
    void update_oversizedServerResponse() throws Exception {
        // the real server through the Notary client with a small response limit: refused, nothing stored
        NotaryFixtures fx = NotaryFixtures.get();
        String add = fx.gun("add");
        NotaryClient small =
                NotaryClient.builder(fx.url()).maxResponseBytes(512).build();
        FileTrustedMetaStore empty = new FileTrustedMetaStore(tmp.resolve("small"));
        Updater u = Updater.builder()
                .gun(add)
                .fetcher(new dev.custody.tuf.update.NotaryMetaFetcher(small, add))
                .store(empty)
                .build();
        assertThatThrownBy(u::update).isInstanceOfSatisfying(OversizedMetadataException.class, e -> {
            assertThat(e.role()).contains("root");
            assertThat(e.limit()).isEqualTo(512);
        });
        assertThat(empty.roles(add)).isEmpty();
    }

    @Test
    void update_malformedJson() throws Exception {
        byte[] ts = swizzler.repo().get("timestamp");
        swizzler.putBytes("timestamp", Arrays.copyOf(ts, ts.length - 3));

        assertThatThrownBy(() -> updater().update()).isInstanceOfSatisfying(MalformedMetadataException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.METADATA_MALFORMED);
            assertThat(e.role()).contains("timestamp");
        });
        assertTrustedUnchanged();
    }

    @Test
    void update_wrongType() throws Exception {
        // a validly signed snapshot served as timestamp
        swizzler.putBytes("timestamp", swizzler.repo().get("snapshot"));
        assertThatThrownBy(() -> updater().update()).isInstanceOfSatisfying(WrongTypeException.class, e -> {
            assertThat(e.expectedType()).isEqualTo("Timestamp");
            assertThat(e.foundType()).isEqualTo("Snapshot");
        });
        assertTrustedUnchanged();
    }

    @Test
    void update_unknownKeyType() throws Exception {
        // targets delegates targets/releases to a key of a type nobody knows
        swizzler.change("targets", (Targets t) -> {
            Delegations d = t.delegationsOrEmpty();
            DelegatedRole r = d.role("targets/releases").orElseThrow();
            TufKey strange = new TufKey("ecdsa-sha3-512", "not a key".getBytes(StandardCharsets.UTF_8));
            Delegations nd = d.withRole(r.withKeyIds(List.of(strange.id()), 1), List.of(strange));
            return t.withDelegations(nd).withVersion(t.version() + 1);
        });

        assertThatThrownBy(() -> updater().update()).isInstanceOfSatisfying(UnsupportedKeyTypeException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.KEY_TYPE_UNSUPPORTED);
            assertThat(e.role()).contains("targets/releases");
            assertThat(e.keyType()).isEqualTo("ecdsa-sha3-512");
        });
        assertTrustedUnchanged();
    }

    @Test
    void update_validChangeMovesTrustedCopyForward() throws Exception {
        // the control case: a correctly re-signed change is accepted and stored
        swizzler.change(
                "targets/releases",
                (Targets t) -> t.withTarget("v2", FileMeta.of("v2".getBytes(StandardCharsets.UTF_8)))
                        .withVersion(t.version() + 1));
        var repo = updater().update();
        assertThat(repo.listTargets("targets"))
                .extracting(dev.custody.tuf.model.Repository.Target::name)
                .contains("v2");
        assertThat(trusted()).isNotEqualTo(trustedBefore);
        assertThat(Signed.parse(store.get(gun, "targets/releases"), "targets/releases")
                        .version())
                .isGreaterThan(
                        Signed.parse(HexFormat.of().parseHex(trustedBefore.get("targets/releases")), "targets/releases")
                                .version());
    }

    @Test
    void update_expiredAfterTime() throws Exception {
        // nothing changed on the server, but the client's clock is past the timestamp's expiry
        Updater later = Updater.builder()
                .gun(gun)
                .fetcher(swizzler.repo())
                .store(store)
                .clock(Clock.offset(clock, Duration.ofDays(15)))
                .build();
        assertThatThrownBy(later::update)
                .isInstanceOfSatisfying(
                        ExpiredMetadataException.class,
                        e -> assertThat(e.role()).contains("timestamp"));
        assertTrustedUnchanged();
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return java.security.MessageDigest.getInstance("SHA-256").digest(b);
    }
}
