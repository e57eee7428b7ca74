/** Canonical JSON exactly as Notary 0.7 signs and verifies it. */
package dev.custody.tuf.canonical;
