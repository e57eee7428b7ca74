package dev.custody.tuf.server;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Response bodies read with a byte limit. A 2xx body larger than the limit fails with
 * {@link ResponseTooLargeException}: refused up front when {@code Content-Length} says so, and
 * otherwise as soon as the counted bytes pass the limit (the stream is cancelled there, so a
 * server that lies or never stops costs at most {@code limit} bytes of memory). Error bodies are
 * only for messages: they are cut at a smaller cap and marked truncated.
 */
final class CappedBody {
    record Body(byte[] bytes, boolean truncated) {}

    private CappedBody() {}

    static BodyHandler<Body> handler(String request, long successLimit, int errorLimit) {
        return info -> {
            long declared = info.headers().firstValueAsLong("Content-Length").orElse(-1L);
            boolean success = info.statusCode() / 100 == 2;
            if (success && declared > successLimit) {
                return new Refused(
                        new ResponseTooLargeException(request, info.statusCode(), successLimit, declared, 0));
            }
            long limit = success ? successLimit : Math.min(errorLimit, successLimit);
            return new Counting(request, info.statusCode(), limit, declared, success);
        };
    }

    /** Cancels the body unread. */
    private static final class Refused implements BodySubscriber<Body> {
        private final CompletableFuture<Body> result = new CompletableFuture<>();
        private final ResponseTooLargeException failure;

        Refused(ResponseTooLargeException failure) {
            this.failure = failure;
        }

        @Override
        public CompletionStage<Body> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.cancel();
            result.completeExceptionally(failure);
        }

        @Override
        public void onNext(List<ByteBuffer> item) {}

        @Override
        public void onError(Throwable throwable) {
            result.completeExceptionally(failure);
        }

        @Override
        public void onComplete() {
            result.completeExceptionally(failure);
        }
    }

    /** Collects up to {@code limit} bytes; beyond that fails (success bodies) or truncates (error bodies). */
    private static final class Counting implements BodySubscriber<Body> {
        private final CompletableFuture<Body> result = new CompletableFuture<>();
        private final String request;
        private final int status;
        private final long limit;
        private final long declared;
        private final boolean failOnExcess;
        private final ByteArrayOutputStream buffer;
        private Flow.Subscription subscription;
        private long received;
        private boolean done;

        Counting(String request, int status, long limit, long declared, boolean failOnExcess) {
            this.request = request;
            this.status = status;
            this.limit = limit;
            this.declared = declared;
            this.failOnExcess = failOnExcess;
            // never trust Content-Length for the allocation beyond the limit
            this.buffer = new ByteArrayOutputStream((int) Math.min(Math.max(declared, 256), Math.min(limit, 1 << 20)));
        }

        @Override
        public CompletionStage<Body> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            this.subscription = s;
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (done) {
                return;
            }
            for (ByteBuffer b : items) {
                int n = b.remaining();
                if (received + n > limit) {
                    done = true;
                    subscription.cancel();
                    if (failOnExcess) {
                        result.completeExceptionally(
                                new ResponseTooLargeException(request, status, limit, declared, received + n));
                    } else {
                        byte[] part = new byte[(int) (limit - received)];
                        b.get(part);
                        buffer.writeBytes(part);
                        result.complete(new Body(buffer.toByteArray(), true));
                    }
                    return;
                }
                byte[] chunk = new byte[n];
                b.get(chunk);
                buffer.writeBytes(chunk);
                received += n;
            }
            subscription.request(1);
        }

        @Override
        public void onError(Throwable throwable) {
            if (!done) {
                done = true;
                result.completeExceptionally(throwable);
            }
        }

        @Override
        public void onComplete() {
            if (!done) {
                done = true;
                result.complete(new Body(buffer.toByteArray(), false));
            }
        }
    }
}
