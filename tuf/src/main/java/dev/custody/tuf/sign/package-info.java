/** The {@link dev.custody.tuf.sign.Signer} interface the daemon backs with token keys, and metadata signing. */
package dev.custody.tuf.sign;
