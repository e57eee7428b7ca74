/** Key types, key IDs (root.json and Notary's canonical IDs), JCA conversion, root certificates. */
package dev.custody.tuf.keys;
