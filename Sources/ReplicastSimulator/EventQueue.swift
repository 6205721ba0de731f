import ReplicastWire

/// A priority queue of timed events for a discrete-event simulation: pops in order of
/// time, and events due at the same time in the order they were scheduled, so a run is a
/// pure function of its inputs.
struct EventQueue<Event> {
    private struct Entry {
        var time: Instant
        var sequence: UInt64
        var event: Event

        func precedes(_ other: Entry) -> Bool {
            (time, sequence) < (other.time, other.sequence)
        }
    }

    private var heap: [Entry] = []
    private var nextSequence: UInt64 = 0

    /// Schedules `event` at `time`.
    mutating func schedule(_ event: Event, at time: Instant) {
        heap.append(Entry(time: time, sequence: nextSequence, event: event))
        nextSequence += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// The time of the earliest event (scripted runs, Simulation+Membership.swift).
    var peekTime: Instant? { heap.first?.time }

    /// Removes and returns the earliest event.
    mutating func pop() -> (time: Instant, event: Event)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var first = parent
            if left < heap.count && heap[left].precedes(heap[first]) { first = left }
            if right < heap.count && heap[right].precedes(heap[first]) { first = right }
            if first == parent { break }
            heap.swapAt(parent, first)
            parent = first
        }
        return (top.time, top.event)
    }
}
