import CairnCore

/// Reading and writing ACL rules as text: selectors spread over several arguments, and the
/// shortest command rules Redis's algorithm finds for a selector's bitmap.
enum ACLRules {
    /// The rules inside a selector's parentheses, split at spaces.
    static func splitArguments(_ bytes: [UInt8]) -> [Bytes] {
        bytes.split(whereSeparator: { $0 == 32 || ($0 >= 9 && $0 <= 13) }).map { Bytes(Array($0)) }
    }

    /// Joins a selector written over several arguments ("(~x" "+get)") into one, as Redis's
    /// ACLMergeSelectorArguments; on an unclosed one, the index of its first argument.
    static func mergeSelectors(_ rules: [Bytes]) -> Result<[Bytes], UnclosedSelector> {
        var merged: [Bytes] = []
        var open: (start: Int, bytes: [UInt8])?
        for (i, rule) in rules.enumerated() {
            let bytes = rule.withUnsafeBytes { Array($0) }
            if var pending = open {
                pending.bytes += [32] + bytes
                open = pending
                if bytes.last == UInt8(ascii: ")") {
                    merged.append(Bytes(pending.bytes))
                    open = nil
                }
                continue
            }
            if bytes.first == UInt8(ascii: "(") && bytes.last != UInt8(ascii: ")") {
                open = (i, bytes)
                continue
            }
            merged.append(rule)
        }
        if let open { return .failure(UnclosedSelector(index: open.start)) }
        return .success(merged)
    }

    struct UnclosedSelector: Error {
        let index: Int
    }

    /// The command rules that rebuild `selector`'s bitmap: +@all or -@all, then the
    /// categories that fit best one by one, then single commands (Redis's
    /// ACLDescribeSelectorCommandRules, so descriptions read alike on both servers).
    static func describeCommands(_ selector: ACLSelector, _ table: CommandTable) -> String {
        let additive = !selector.commands[ACLCommandBits.futureCommandsBit]
        var rules = [additive ? "-@all" : "+@all"]
        var fake = ACLSelector(allChannels: false)
        if !additive { fake.commands = .all }
        // What remains to explain: applying a category's inverse here keeps it from
        // counting twice.
        var remaining = selector
        var applied = Set<String>()
        while true {
            var best: (ACLCategories, String)?
            var minDiff = Int.max, maxSame = 0
            for (category, name) in ACLCategories.names where !applied.contains(name) {
                var on = 0, off = 0
                for spec in table.aclOrder where !spec.categories.isDisjoint(with: category) {
                    if remaining.commands[spec.aclID] { on += 1 } else { off += 1 }
                }
                let diff = additive ? off : on, same = additive ? on : off
                if same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)) {
                    best = (category, name)
                    minDiff = diff
                    maxSame = same
                }
            }
            guard let (category, name) = best else { break }
            fake.setCategory(category, allow: additive, table)
            remaining.setCategory(category, allow: !additive, table)
            rules.append((additive ? "+@" : "-@") + name)
            applied.insert(name)
        }
        for spec in table.aclOrder {
            let bit = selector.commands[spec.aclID]
            if bit != fake.commands[spec.aclID] {
                rules.append((bit ? "+" : "-") + spec.fullName)
                fake.change(spec, allow: bit)
            }
            if !bit, let args = selector.firstArgs[spec.aclID] {
                for a in args { rules.append("+" + spec.fullName + "|" + a.string) }
            }
        }
        return rules.joined(separator: " ")
    }
}
