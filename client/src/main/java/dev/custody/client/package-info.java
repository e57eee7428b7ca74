/** Placeholder until its issue lands: see README. */
package dev.custody.client;
