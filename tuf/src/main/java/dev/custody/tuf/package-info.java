/**
 * Notary-compatible TUF. Every failure is a {@link dev.custody.tuf.TufException} subclass with an
 * {@link dev.custody.tuf.ErrorCode}.
 */
package dev.custody.tuf;
