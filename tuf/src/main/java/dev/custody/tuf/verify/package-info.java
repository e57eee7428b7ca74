/** Pure verification: signatures and thresholds, expiry, rollback, hashes, delegation paths, root chain, trust pinning. */
package dev.custody.tuf.verify;
