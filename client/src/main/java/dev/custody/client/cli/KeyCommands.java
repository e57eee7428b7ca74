package dev.custody.client.cli;

import dev.custody.protocol.KeyInfo;
import dev.custody.protocol.KeyRotateResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code custody key list|generate|rotate|import|remove}, as notary's {@code key} commands, and
 * {@code key scan|adopt} for keys already on a token.
 */
@Command(
        name = "key",
        description = "Operates on keys. Keys live on tokens; none is ever exported.",
        subcommands = {
            KeyCommands.ListKeys.class,
            KeyCommands.Generate.class,
            KeyCommands.Rotate.class,
            KeyCommands.Import.class,
            KeyCommands.Scan.class,
            KeyCommands.Adopt.class,
            KeyCommands.RemoveKey.class
        },
        footer = "  custody key list")
final class KeyCommands {
    /** notary's widest GUN in {@code key list} before it shortens it from the left. */
    static final int MAX_GUN_WIDTH = 25;

    @Command(
            name = "list",
            aliases = "ls",
            description = {"Lists keys on the tokens custodyd owns.", "Offline."},
            footer = "  custody key list --gun registry.example.com/team/app")
    static final class ListKeys extends CommandBase {
        @Option(names = "--gun", paramLabel = "GUN", description = "Only keys of this repository (and GUN-less keys)")
        String gun;

        @Override
        int run() throws Exception {
            List<KeyInfo> keys = api().keyList(gun);
            return report(Map.of("keys", keys), () -> out().print(table(keys)));
        }
    }

    /** notary's key list: blank line, table, blank line; root first, then by role, GUN, key ID. */
    static String table(List<KeyInfo> keys) {
        if (keys.isEmpty()) {
            return "\nNo signing keys found.\n\n";
        }
        Table t = new Table("ROLE", "GUN", "KEY ID", "LOCATION");
        keys.stream()
                .sorted(Comparator.comparing((KeyInfo k) -> !"root".equals(k.role()))
                        .thenComparing(k -> k.gun() == null ? "" : k.gun())
                        .thenComparing(k -> String.valueOf(k.role()))
                        .thenComparing(KeyInfo::keyId))
                .forEach(k -> t.row(k.role(), Table.truncateLeft(k.gun(), MAX_GUN_WIDTH), k.keyId(), location(k)));
        return "\n" + t.render() + "\n";
    }

    static String location(KeyInfo k) {
        String l = k.token() == null ? "token" : k.token();
        if (k.tokenSerial() != null && !k.tokenSerial().isBlank()) {
            l += " (serial " + k.tokenSerial() + (k.slot() == null ? "" : ", slot " + k.slot()) + ")";
        } else if (k.slot() != null) {
            l += " (slot " + k.slot() + ")";
        }
        return k.present() ? l : l + " [absent]";
    }

    @Command(
            name = "generate",
            sortOptions = false,
            description = {"Generates a key on a token (non-extractable).", "Offline."},
            footer = {
                "  custody key generate ecdsa --role root --token softhsm-1",
                "  custody key generate --role root --token yubikey-1 --slot 9c"
            })
    static final class Generate extends CommandBase {
        @Parameters(index = "0", arity = "0..1", paramLabel = "ALGORITHM", description = "ecdsa (default) or ed25519")
        String algorithm;

        @Option(
                names = {"-r", "--role"},
                paramLabel = "ROLE",
                description = "Role of the key (default: root)")
        String role = "root";

        @Option(names = "--gun", paramLabel = "GUN", description = "Repository of the key (targets, snapshot)")
        String gun;

        @Option(names = "--token", paramLabel = "TOKEN", description = "Token to generate it on")
        String token;

        @Option(
                names = "--slot",
                paramLabel = "SLOT",
                description = "PIV slot on a YubiKey token: 9a, 9c, 9d, 9e or 82..95 (default: the first empty one,"
                        + " 9c first); an occupied slot is refused")
        String slot;

        @Override
        int run() throws Exception {
            KeyInfo k = api().keyGenerate(role, gun, token, algorithm, slot);
            return report(
                    k,
                    () -> out().println("Generated new " + (k.algorithm() == null ? "ecdsa" : k.algorithm()) + " "
                            + k.role() + " key with keyID: " + k.keyId() + " on token " + location(k)));
        }
    }

    @Command(
            name = "rotate",
            sortOptions = false,
            description = {
                "Rotate a signing (non-root) key of the given type for the given Globally Unique Name and"
                        + " role, or the root key.",
                "Online: the new root is published right away. A root rotation may wait for a custodian's approval."
            },
            footer = {
                "  custody key rotate registry.example.com/team/app targets",
                "  custody key rotate registry.example.com/team/app snapshot -r"
            })
    static final class Rotate extends GunCommand {
        @Parameters(index = "1", paramLabel = "ROLE", description = "root, targets, snapshot or timestamp")
        String role;

        @Option(
                names = {"-r", "--server-managed"},
                description = "Hand the key to the Notary server (snapshot, timestamp)")
        boolean serverManaged;

        @Option(
                names = "--token",
                paramLabel = "TOKEN",
                description = "Token for the new key (default: custodyd's first)")
        String token;

        @Override
        int run() throws Exception {
            KeyRotateResult r;
            try (Progress p = progress("rotating the " + role + " key of " + gun)) {
                r = token == null
                        ? api().keyRotate(gun, role, serverManaged)
                        : api().keyRotate(gun, role, serverManaged, token);
            }
            return report(
                    r,
                    () -> out().println("Successfully rotated " + role + " key for repository " + gun + ": new key "
                            + (serverManaged ? "held by the server " : "") + r.newKeyId()
                            + (r.rootVersion() == null ? "" : " (root version " + r.rootVersion() + ")")));
        }
    }

    @Command(
            name = "import",
            sortOptions = false,
            description = {
                "Imports notary/docker trust_dir private keys onto tokens (non-extractable there).",
                "Offline. FILE is a key file, or a trust_dir (~/.notary, ~/.docker/trust or their private/ folder):"
                        + " every *.key under it is imported, in notary 0.7's layout (private/<id>.key with role/gun"
                        + " headers) and the older one (private/root_keys/, private/tuf_keys/<gun>/).",
                "Passphrases of encrypted keys, per key role: $NOTARY_<ROLE>_PASSPHRASE (ROOT, TARGETS, SNAPSHOT,"
                        + " DELEGATION) or $DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE / _REPOSITORY_PASSPHRASE as notary and"
                        + " docker read them; else one line of stdin with --passphrase-stdin; else a prompt without echo.",
                "Keys already on a token are skipped, so a re-run finishes an interrupted import.",
                "The software copies stay where they are: delete them yourself once the import is confirmed."
            },
            footer = {
                "  custody key import ~/.notary --root-token root-1 --token ci-hsm",
                "  custody key import ~/.notary/private/1fce6c75...key --role root --token yubikey-1 --slot 9c"
            })
    static final class Import extends CommandBase {
        @Parameters(index = "0..*", arity = "1..*", paramLabel = "FILE|DIR")
        List<Path> files = new ArrayList<>();

        @Option(
                names = {"-r", "--role"},
                paramLabel = "ROLE",
                description = "Role, when the PEM has no role header")
        String role;

        @Option(
                names = {"-g", "--gun"},
                paramLabel = "GUN",
                description = "GUN, when the PEM has no gun header")
        String gun;

        @Option(
                names = "--token",
                paramLabel = "TOKEN",
                description = "Token to put the keys on (default: custodyd's first)")
        String token;

        @Option(names = "--root-token", paramLabel = "TOKEN", description = "Token for root keys (default: --token)")
        String rootToken;

        @Option(
                names = "--slot",
                paramLabel = "SLOT",
                description = "PIV slot on a YubiKey token (9a, 9c, 9d, 9e, 82..95; default: the first empty one, 9c"
                        + " first); an occupied slot is refused. YubiKeys take ECDSA P-256 keys only. With several keys it"
                        + " applies to the root key")
        String slot;

        @Option(
                names = "--passphrase-stdin",
                description = "Read the passphrase of encrypted keys from stdin (one line,"
                        + " for every key no passphrase variable covers)")
        boolean passphraseStdin;

        private char[] stdinPassphrase;
        private final Map<String, char[]> typed = new java.util.HashMap<>();

        @Override
        int run() throws Exception {
            List<TrustDirFiles.KeyFile> keys = new ArrayList<>();
            boolean anyDir = false;
            for (Path f : files) {
                anyDir |= Files.isDirectory(f);
                keys.addAll(TrustDirFiles.collect(f));
            }
            if (slot != null
                    && keys.size() > 1
                    && keys.stream()
                                    .filter(kf -> "root".equals(role != null ? role : kf.role()))
                                    .count()
                            != 1) {
                throw new Failure.CommandException(
                        ExitCodes.USAGE,
                        "--slot names one PIV slot: give one key file, or a"
                                + " trust_dir with exactly one root key (found " + keys.size() + " keys)");
            }
            List<KeyInfo> imported = new ArrayList<>();
            try {
                for (TrustDirFiles.KeyFile kf : keys) {
                    String r = role != null ? role : kf.role();
                    String g = gun != null ? gun : kf.headerGun() == null ? kf.layoutGun() : null;
                    String t = "root".equals(r) && rootToken != null ? rootToken : token;
                    String s = keys.size() == 1 || "root".equals(r) ? slot : null;
                    KeyInfo k = importOne(
                            kf, role != null ? role : kf.headerRole() == null ? kf.layoutRole() : null, g, t, r, s);
                    imported.add(k);
                    if (json()) {
                        continue;
                    }
                    if (Boolean.TRUE.equals(k.alreadyImported())) {
                        out().println("Skipped " + kf.path() + ": key " + k.keyId() + " is already on " + location(k));
                    } else {
                        out().println("Imported " + k.role() + " key " + k.keyId() + " from " + kf.path() + " onto "
                                + location(k));
                    }
                }
            } finally {
                PinWipe.wipe(stdinPassphrase);
                typed.values().forEach(PinWipe::wipe);
            }
            if (json()) {
                printJson(Map.of("keys", imported));
            } else if (imported.stream().anyMatch(k -> !Boolean.TRUE.equals(k.alreadyImported()))) {
                KeyInfo first = imported.stream()
                        .filter(k -> k.softwareCopyNote() != null)
                        .findFirst()
                        .orElse(null);
                out().println(
                                anyDir || keys.size() > 1
                                        ? "The keys are on their tokens now (non-extractable). Your notary/docker trust_dir still holds the"
                                                + " software copies: check `custody key list`, then delete "
                                                + String.join(
                                                        ", ",
                                                        files.stream()
                                                                .map(Path::toString)
                                                                .toList()) + " yourself (custody never deletes them)."
                                        : first != null
                                                ? first.softwareCopyNote()
                                                : "The file " + keys.get(0).path()
                                                        + " still holds a software copy: delete it yourself.");
            }
            return ExitCodes.OK;
        }

        /** One key: its passphrase (if encrypted) from the variable, stdin or the terminal, then key.import. */
        private KeyInfo importOne(
                TrustDirFiles.KeyFile kf, String sendRole, String sendGun, String tok, String keyRole, String pivSlot)
                throws Exception {
            if (!kf.encrypted()) {
                return api().keyImport(kf.pem(), null, sendRole, sendGun, tok, true, pivSlot);
            }
            String label =
                    (keyRole == null ? "" : keyRole + " ") + "key " + kf.path().getFileName();
            char[] fromEnv = TrustDirFiles.passphraseFromEnv(terminal().env(), keyRole);
            if (fromEnv != null || passphraseStdin) {
                char[] pass = fromEnv != null ? fromEnv : stdinPassphrase();
                try {
                    return api().keyImport(kf.pem(), pass.clone(), sendRole, sendGun, tok, true, pivSlot);
                } catch (dev.custody.protocol.BadRequestException e) {
                    throw new Failure.CommandException(
                            ExitCodes.forCode(e.code()),
                            kf.path() + ": " + e.getMessage()
                                    + (fromEnv != null
                                            ? " (passphrase from $"
                                                    + TrustDirFiles.passphraseVariable(
                                                            terminal().env(), keyRole) + ")"
                                            : "")
                                    + "; keys imported before it stay on their tokens, and a re-run skips them");
                } finally {
                    PinWipe.wipe(pass);
                    if (fromEnv != null) {
                        PinWipe.wipe(fromEnv);
                    }
                }
            }
            String group = keyRole == null ? "" : keyRole;
            for (int attempt = 1; ; attempt++) {
                char[] pass = typed.get(group);
                if (pass == null) {
                    pass = Secrets.read(
                            terminal(), "Enter passphrase for " + label + ": ", false, "--passphrase-stdin");
                    typed.put(group, pass);
                }
                try {
                    return api().keyImport(kf.pem(), pass.clone(), sendRole, sendGun, tok, true, pivSlot);
                } catch (dev.custody.protocol.BadRequestException e) {
                    PinWipe.wipe(typed.remove(group));
                    if (attempt >= 3
                            || !e.field().map("params.passphrase"::equals).orElse(false)) {
                        throw new Failure.CommandException(
                                ExitCodes.forCode(e.code()), kf.path() + ": " + e.getMessage());
                    }
                    terminal().err().println("Wrong passphrase for " + label + ", try again.");
                }
            }
        }

        private char[] stdinPassphrase() throws java.io.IOException {
            if (stdinPassphrase == null) {
                stdinPassphrase = Secrets.read(terminal(), "", true, "--passphrase-stdin");
            }
            return stdinPassphrase;
        }
    }

    /** Wipes secrets held in char arrays. */
    static final class PinWipe {
        private PinWipe() {}

        static void wipe(char[] c) {
            if (c != null) {
                java.util.Arrays.fill(c, '\0');
            }
        }
    }

    @Command(
            name = "scan",
            sortOptions = false,
            description = {
                "Lists the private keys on a token, custodyd's or not, with the TUF key ID each has.",
                "Offline. Keys made elsewhere (another custodyd, a ceremony, pkcs11-tool) can then be adopted."
            },
            footer = "  custody key scan --token yubikey-1")
    static final class Scan extends CommandBase {
        @Option(names = "--token", required = true, paramLabel = "TOKEN", description = "The token to look at")
        String token;

        @Override
        int run() throws Exception {
            dev.custody.protocol.KeyScan r = api().keyScan(token);
            if (json()) {
                printJson(r);
                return ExitCodes.OK;
            }
            if (r.keys().isEmpty()) {
                out().println("\nNo private keys on token " + r.token() + ".\n");
                return ExitCodes.OK;
            }
            Table t = new Table("KEY ID", "CKA_ID", "LABEL", "ALGORITHM", "STATUS");
            for (dev.custody.protocol.ScannedKey k : r.keys()) {
                String status = k.known()
                        ? "known: " + k.role() + (k.gun() == null ? "" : " " + k.gun())
                        : k.adoptable()
                                ? "adoptable"
                                : "not adoptable (" + (k.extractable() ? "extractable" : "not sensitive") + ")";
                t.row(k.keyId(), k.ckaId(), k.label(), k.algorithm(), status);
            }
            out().print("\n" + t.render() + "\n");
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "adopt",
            sortOptions = false,
            description = {
                "Enrols a key that is already on a token into custodyd's key list, for a role (and GUN).",
                "Offline. Nothing is copied or written to the token; the key must be sensitive and not extractable."
            },
            footer = {
                "  custody key adopt 9deed251daa1aa6f9d5f9b752847647cf8d705da0763aa5467650d0987ed5306 --token yubikey-1"
                        + " --role root",
                "  custody key adopt --cka-id 01 --token hsm-1 --role targets --gun registry.example.com/team/app"
            })
    static final class Adopt extends CommandBase {
        @Parameters(
                index = "0",
                arity = "0..1",
                paramLabel = "KEYID",
                description = "The TUF key ID (custody key scan)")
        String keyId;

        @Option(names = "--cka-id", paramLabel = "HEX", description = "Find the key by its CKA_ID instead")
        String ckaId;

        @Option(names = "--token", required = true, paramLabel = "TOKEN", description = "The token that holds the key")
        String token;

        @Option(
                names = {"-r", "--role"},
                required = true,
                paramLabel = "ROLE",
                description = "root, targets, snapshot, targets/NAME or a signer name")
        String role;

        @Option(
                names = {"-g", "--gun"},
                paramLabel = "GUN",
                description = "Repository of the key (targets, snapshot)")
        String gun;

        @Override
        int run() throws Exception {
            if ((keyId == null) == (ckaId == null)) {
                throw new Failure.UsageException("give the key ID or --cka-id (one of them)");
            }
            KeyInfo k = api().keyAdopt(token, keyId, ckaId, role, gun);
            return report(
                    k,
                    () -> out().println("Adopted " + k.role() + " key " + k.keyId()
                            + (k.gun() == null ? "" : " for " + k.gun()) + " on " + location(k)));
        }
    }

    @Command(
            name = "remove",
            aliases = "rm",
            description = {"Removes a key from its token.", "Offline."},
            footer = "  custody key remove 9deed251daa1aa6f9d5f9b752847647cf8d705da0763aa5467650d0987ed5306")
    static final class RemoveKey extends CommandBase {
        @Parameters(index = "0", paramLabel = "KEYID")
        String keyId;

        @Override
        int run() throws Exception {
            String removed = api().keyRemove(keyId);
            return report(Map.of("keyId", removed), () -> out().println("Deleted " + removed + " from its token."));
        }
    }
}
