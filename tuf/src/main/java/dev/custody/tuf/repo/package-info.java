/**
 * Repository editing (init, targets, delegations, witness, key rotation) into the set of signed files a
 * publish sends.
 *
 * <p>Threshold roots: {@link dev.custody.tuf.repo.RepoEditor#create(String, java.util.List, int,
 * dev.custody.tuf.model.TufKey, dev.custody.tuf.model.TufKey, dev.custody.tuf.model.TufKey,
 * java.time.Clock)} and {@link dev.custody.tuf.repo.RepoInit#create(String, java.util.List, int,
 * dev.custody.tuf.sign.SignerFactory, dev.custody.tuf.repo.ServerKeys, boolean, java.time.Clock)} make a
 * root role of k of n root keys (each an {@code ecdsa-x509} certificate of a key on its own token).
 * {@link dev.custody.tuf.repo.RepoEditor#rotateRootKeys} and
 * {@link dev.custody.tuf.repo.RepoEditor#replaceRootKey} (a lost token) change them; the new root is
 * signed by every root key of the ring that belongs to the old or the new root, and
 * {@link dev.custody.tuf.repo.RepoEditor#buildPublish} refuses ({@code SignatureThresholdException}) when
 * the ring cannot meet the old root's threshold (clients holding it would refuse the new root) or the new
 * root's own.
 *
 * <p>Notary 0.7, observed with the real notary-server and client: a root with threshold 2 of 3 signed by
 * two of its keys is accepted and listed; a first root with fewer signatures than its threshold is refused
 * by the server ({@code ErrBadRoot}: "could not validate the path to a trusted root: failed to validate
 * integrity of roots"), as is a rotated root short of its own threshold; a rotated root signed by fewer
 * than the previous root's threshold of previous root keys is refused with "could not rotate trust to a new
 * trusted root: failed to validate data with current trusted certificates". A client that cached the old
 * root accepts a rotation signed by a threshold of the old root keys and a threshold of the new ones.
 *
 * <p>For signing elsewhere (ceremonies), {@link dev.custody.tuf.repo.RepoEditor#buildUnsigned()} gives
 * the metadata to sign and {@link dev.custody.tuf.repo.RepoEditor#buildPublish(KeyRing, java.util.Map)}
 * takes it back signed.
 */
package dev.custody.tuf.repo;
