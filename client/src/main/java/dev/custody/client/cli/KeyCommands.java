package dev.custody.client.cli;

import dev.custody.client.api.KeyInfo;
import dev.custody.client.api.KeyRotateResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code custody key list|generate|rotate|import|remove}, as notary's {@code key} commands. */
@Command(name = "key", description = "Operates on keys. Keys live on tokens; none is ever exported.",
    subcommands = {KeyCommands.ListKeys.class, KeyCommands.Generate.class, KeyCommands.Rotate.class,
        KeyCommands.Import.class, KeyCommands.RemoveKey.class},
    footerHeading = "%nExample:%n", footer = "  custody key list")
final class KeyCommands {
  /** notary's widest GUN in {@code key list} before it shortens it from the left. */
  static final int MAX_GUN_WIDTH = 25;

  @Command(name = "list", aliases = "ls", description = {"Lists keys on the tokens custodyd owns.", "Offline."},
      footerHeading = "%nExample:%n", footer = "  custody key list --gun registry.example.com/team/app")
  static final class ListKeys extends CommandBase {
    @Option(names = "--gun", paramLabel = "GUN", description = "Only keys of this repository (and GUN-less keys)")
    String gun;

    @Override
    int run() throws Exception {
      List<KeyInfo> keys = api().keyList(gun);
      if (json()) {
        printJson(Map.of("keys", keys));
      } else {
        out().print(table(keys));
      }
      return ExitCodes.OK;
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

  @Command(name = "generate", sortOptions = false,
      description = {"Generates a key on a token (non-extractable).", "Offline."},
      footerHeading = "%nExamples:%n", footer = {"  custody key generate ecdsa --role root --token softhsm-1",
          "  custody key generate --role root --token yubikey-1 --slot 9c"})
  static final class Generate extends CommandBase {
    @Parameters(index = "0", arity = "0..1", paramLabel = "ALGORITHM", description = "ecdsa (default) or ed25519")
    String algorithm;

    @Option(names = {"-r", "--role"}, paramLabel = "ROLE", description = "Role of the key (default: root)")
    String role = "root";

    @Option(names = "--gun", paramLabel = "GUN", description = "Repository of the key (targets, snapshot)")
    String gun;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Token to generate it on") String token;

    @Option(names = "--slot", paramLabel = "SLOT",
        description = "PIV slot on a YubiKey token: 9a, 9c, 9d, 9e or 82..95 (default: the first empty one,"
            + " 9c first); an occupied slot is refused")
    String slot;

    @Override
    int run() throws Exception {
      KeyInfo k = api().keyGenerate(role, gun, token, algorithm, slot);
      if (json()) {
        printJson(k);
      } else {
        out().println("Generated new " + (k.algorithm() == null ? "ecdsa" : k.algorithm()) + " " + k.role()
            + " key with keyID: " + k.keyId() + " on token " + location(k));
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "rotate", sortOptions = false,
      description = {"Rotate a signing (non-root) key of the given type for the given Globally Unique Name and"
          + " role, or the root key.",
          "Online: the new root is published right away. A root rotation may wait for a custodian's approval."},
      footerHeading = "%nExamples:%n", footer = {"  custody key rotate registry.example.com/team/app targets",
          "  custody key rotate registry.example.com/team/app snapshot -r"})
  static final class Rotate extends CommandBase {
    @Parameters(index = "0", paramLabel = "GUN") String gun;
    @Parameters(index = "1", paramLabel = "ROLE", description = "root, targets, snapshot or timestamp") String role;

    @Option(names = {"-r", "--server-managed"}, description = "Hand the key to the Notary server (snapshot, timestamp)")
    boolean serverManaged;

    @Override
    int run() throws Exception {
      KeyRotateResult r;
      try (Progress p = progress("rotating the " + role + " key of " + gun)) {
        r = api().keyRotate(gun, role, serverManaged);
      }
      if (json()) {
        printJson(r);
      } else {
        out().println("Successfully rotated " + role + " key for repository " + gun + ": new key "
            + (serverManaged ? "held by the server " : "") + r.newKeyId()
            + (r.rootVersion() == null ? "" : " (root version " + r.rootVersion() + ")"));
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "import", sortOptions = false,
      description = {"Imports notary/docker trust_dir PEM keys onto a token.",
          "Offline. An encrypted key's passphrase is read without echo (or from stdin with --passphrase-stdin).",
          "The software copy stays where it is: delete it yourself once the import is confirmed."},
      footerHeading = "%nExample:%n", footer =
          "  custody key import ~/.notary/private/1fce6c75...key --role root --token yubikey-1")
  static final class Import extends CommandBase {
    @Parameters(index = "0..*", arity = "1..*", paramLabel = "FILE") List<Path> files = new ArrayList<>();

    @Option(names = {"-r", "--role"}, paramLabel = "ROLE", description = "Role, when the PEM has no role header")
    String role;

    @Option(names = {"-g", "--gun"}, paramLabel = "GUN", description = "GUN, when the PEM has no gun header")
    String gun;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Token to put the keys on") String token;

    @Option(names = "--passphrase-stdin", description = "Read the passphrase of encrypted keys from stdin")
    boolean passphraseStdin;

    @Override
    int run() throws Exception {
      List<KeyInfo> imported = new ArrayList<>();
      for (Path f : files) {
        String pem = Files.readString(RepoCommands.checkReadable(f), StandardCharsets.US_ASCII);
        char[] passphrase = pem.contains("ENCRYPTED")
            ? Secrets.read(terminal(), "Passphrase for " + f + ": ", passphraseStdin, "--passphrase-stdin") : null;
        KeyInfo k = api().keyImport(pem, passphrase, role, gun, token);
        imported.add(k);
        if (!json()) {
          out().println("Imported " + k.role() + " key " + k.keyId() + " from " + f + " onto " + location(k));
          out().println(k.softwareCopyNote() != null ? k.softwareCopyNote()
              : "The file " + f + " still holds a software copy: delete it yourself.");
        }
      }
      if (json()) {
        printJson(Map.of("keys", imported));
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "remove", aliases = "rm", description = {"Removes a key from its token.", "Offline."},
      footerHeading = "%nExample:%n", footer = "  custody key remove 9deed251daa1aa6f9d5f9b752847647cf8d705da0763aa5467650d0987ed5306")
  static final class RemoveKey extends CommandBase {
    @Parameters(index = "0", paramLabel = "KEYID") String keyId;

    @Override
    int run() throws Exception {
      String removed = api().keyRemove(keyId);
      if (json()) {
        printJson(Map.of("keyId", removed));
      } else {
        out().println("Deleted " + removed + " from its token.");
      }
      return ExitCodes.OK;
    }
  }
}
