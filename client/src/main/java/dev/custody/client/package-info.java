/**
 * Custody's client side: {@code protocol} (the wire types shared with custodyd), {@code api} (a
 * typed Java client, one method per socket method) and {@code cli} (the {@code custody} command).
 */
package dev.custody.client;
