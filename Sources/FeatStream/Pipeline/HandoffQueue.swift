import Foundation

/// A bounded first-in first-out queue between one producer thread and one consumer.
/// `put` waits while the queue is full; `take` waits while it is empty. Either side can
/// close it: the producer when it is done (or failed), the consumer when it gave up.
final class HandoffQueue<Element>: @unchecked Sendable {
    private var items: [Element] = []
    private var head = 0
    private let capacity: Int
    private let condition = NSCondition()
    private(set) var isClosed = false

    init(capacity: Int) { self.capacity = capacity }

    /// False when the queue was closed (the consumer stopped): the producer should stop too.
    func put(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count - head >= capacity && !isClosed { condition.wait() }
        guard !isClosed else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// The next item, or nil once the queue is closed and drained.
    func take() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !isClosed { condition.wait() }
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head > 64 { items.removeFirst(head); head = 0 }
        condition.broadcast()
        return item
    }

    func close() {
        condition.lock()
        isClosed = true
        condition.broadcast()
        condition.unlock()
    }
}
