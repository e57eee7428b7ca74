/** The client update workflow and the narrow I/O interfaces it uses (fetcher, trusted store). */
package dev.custody.tuf.update;
