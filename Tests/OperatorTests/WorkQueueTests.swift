import Testing
@testable import Operator

@Suite struct WorkQueueTests {
    @Test func aKeyWaitsOnceAndComesOutInOrder() async {
        let queue = WorkQueue<String>()
        for key in ["a", "b", "a", "c", "b"] { await queue.add(key) }
        #expect(await queue.depth == 3)
        #expect(await queue.next() == "a")
        #expect(await queue.next() == "b")
        #expect(await queue.next() == "c")
    }

    @Test func aKeyAddedWhileProcessedIsQueuedAgainWhenDone() async {
        let queue = WorkQueue<String>()
        await queue.add("a")
        let key = await queue.next()
        await queue.add("a")
        #expect(await queue.depth == 0, "not handed to a second worker while the first works on it")
        await queue.done(key!)
        #expect(await queue.next() == "a")
    }

    @Test func aWaitingWorkerGetsTheNextKey() async {
        let queue = WorkQueue<String>()
        async let taken = queue.next()
        try? await Task.sleep(for: .milliseconds(20))
        await queue.add("late")
        #expect(await taken == "late")
    }

    @Test func failuresBackOffExponentiallyUpToTheMaximum() async throws {
        let queue = WorkQueue<String>(baseDelay: .milliseconds(10), maxDelay: .milliseconds(40))
        #expect(queue.backoff(afterFailures: 0) == .milliseconds(10))
        #expect(queue.backoff(afterFailures: 1) == .milliseconds(20))
        #expect(queue.backoff(afterFailures: 5) == .milliseconds(40))

        await queue.add("k")
        let key = await queue.next()!
        await queue.retry(key)
        await queue.done(key)
        #expect(await queue.depth == 0, "a retried key waits for its backoff")
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await queue.next() == "k")
        #expect(clock.now - start >= .milliseconds(9))
        #expect(await queue.failureCount("k") == 1)
        await queue.forget("k")
        #expect(await queue.failureCount("k") == 0)
    }

    @Test func shutdownReleasesWaitingWorkers() async {
        let queue = WorkQueue<Int>()
        async let taken = queue.next()
        try? await Task.sleep(for: .milliseconds(20))
        await queue.shutdown()
        #expect(await taken == nil)
        await queue.add(1)
        #expect(await queue.depth == 0)
    }
}
