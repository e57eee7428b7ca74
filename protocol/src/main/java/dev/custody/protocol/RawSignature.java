package dev.custody.protocol;

/** Result of {@code sign.raw}: {@code method} is {@code ecdsa} or {@code eddsa}, the signature base64. */
public record RawSignature(String keyId, String method, String signature) {}
