extension Array {
    /// Empties the array and keeps its storage. `removeAll(keepingCapacity: true)` goes
    /// through the generic `replaceSubrange` (about 250 instructions even for one element,
    /// measured with Tools/bench-instructions); the request path's arrays hold a few
    /// elements, and taking them off the end costs a fraction of that.
    @inlinable
    public mutating func clearKeepingCapacity() {
        while !isEmpty { removeLast() }
    }
}
