/** Repository editing (init, targets, delegations, witness, key rotation) into the set of signed files a publish sends. */
package dev.custody.tuf.repo;
