/**
 * Air-gapped signing ceremonies: a single-file signing-request {@link dev.custody.tuf.ceremony.Bundle}
 * carried between the online machine (server access, online keys, its own trusted state) and an offline
 * machine (root keys on its tokens, its own trusted state, no server).
 *
 * <p>Operations ({@link dev.custody.tuf.ceremony.Operation}): {@code rotate-root} (new root keys and/or
 * threshold, e.g. a lost token's key replaced), {@code rotate-targets}, {@code rotate-snapshot} and
 * {@code resign-root} (expiry extended, keys unchanged). Each signs a new root; {@code rotate-targets}
 * also re-signs targets, unchanged but for version and expiry, with the new (online) targets key.
 *
 * <p>Flow: {@link dev.custody.tuf.ceremony.Ceremony#prepare} online →
 * {@link dev.custody.tuf.ceremony.Ceremony#verifyForSigning} offline against the offline trusted root,
 * show the summary, approve → {@link dev.custody.tuf.ceremony.Ceremony#addSignatures} (per token, as often
 * as needed) → {@link dev.custody.tuf.ceremony.Ceremony#verifyForPublish} online against the server state
 * → publish the {@link dev.custody.tuf.repo.PublishSet}.
 *
 * <p>A bundle is never trusted for what it says about itself. Both sides recompute the plan (what the
 * operation may change) and the summary from the base and the new metadata, and check every signature
 * in it. Each refusal has its own exception: {@link dev.custody.tuf.ceremony.MalformedBundleException},
 * {@link dev.custody.tuf.ceremony.BundleTamperedException} (with its
 * {@link dev.custody.tuf.ceremony.BundleTamperedException.Kind}),
 * {@link dev.custody.tuf.ceremony.WrongGunException}, {@link dev.custody.tuf.ceremony.StaleBundleException},
 * {@link dev.custody.tuf.ceremony.BaseMismatchException} (offline side), and
 * {@link dev.custody.tuf.ceremony.ServerMovedException} (online side); thresholds short at publish give
 * {@code RootRotationException} or {@code SignatureThresholdException}, as the verifier does.
 *
 * <p>The file format, field by field, is in {@code tuf/README-ceremony.md}. Pure: no I/O, the time from
 * an injected {@link java.time.Clock}.
 */
package dev.custody.tuf.ceremony;
