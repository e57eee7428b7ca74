/** Immutable TUF/Notary metadata records; the raw signed bytes and unknown fields are kept. */
package dev.custody.tuf.model;
