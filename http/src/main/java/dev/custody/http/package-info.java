/**
 * The HTTP parts the Notary client ({@code dev.custody.tuf.server.NotaryClient}) and the registry client of
 * {@code custody trust sign} share, so both follow the same rules: {@link dev.custody.http.TrustedCas} (TLS
 * trusting a CA file), {@link dev.custody.http.AuthChallenge} ({@code WWW-Authenticate} parsing) and
 * {@link dev.custody.http.TokenAuth} (the registry token flow, and where credentials may go).
 */
package dev.custody.http;
