package dev.custody.client.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code --tlscacert FILE}: the CA a notary user expects for the Notary server. The CLI holds no trust
 * state, so it does not connect with it; it sends the certificates' SHA-256 fingerprints and custodyd
 * refuses the command when the CA it uses for that server is another one.
 */
final class TlsCaFile {
    private TlsCaFile() {}

    /** The lower-case hex SHA-256 of each certificate (DER) in the PEM file, in file order. */
    static List<String> fingerprints(Path file) {
        Collection<? extends Certificate> certs;
        try (InputStream in = Files.newInputStream(file)) {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (NoSuchFileException e) {
            throw new Failure.CommandException(ExitCodes.ERROR, "--tlscacert: no such file: " + file);
        } catch (AccessDeniedException e) {
            throw new Failure.CommandException(ExitCodes.ERROR, "--tlscacert: permission denied: " + file);
        } catch (IOException | CertificateException e) {
            throw notPem(file);
        }
        if (certs.isEmpty()) {
            throw notPem(file);
        }
        List<String> out = new ArrayList<>();
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Certificate c : certs) {
                out.add(HexFormat.of().formatHex(sha.digest(c.getEncoded())));
            }
        } catch (NoSuchAlgorithmException | CertificateException e) {
            throw notPem(file);
        }
        return out;
    }

    private static Failure.CommandException notPem(Path file) {
        return new Failure.CommandException(
                ExitCodes.ERROR,
                "--tlscacert: " + file
                        + " holds no PEM certificate (give the CA certificate of the Notary server, as for notary --tlscacert)");
    }
}
