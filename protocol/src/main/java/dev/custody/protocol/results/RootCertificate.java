package dev.custody.protocol.results;

/**
 * Result of {@code ceremony.rootCert}: the root certificate (PEM) made for {@code gun} through the
 * inventory key {@code bareKeyId}, and its TUF key ID ({@code keyId}).
 */
public record RootCertificate(String gun, String keyId, String bareKeyId, String certificate) {}
