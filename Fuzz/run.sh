#!/usr/bin/env bash
# Builds the ReplicastWire fuzzer (libFuzzer + AddressSanitizer) and runs it for SECONDS
# (default 60). Exits non-zero if the fuzzer finds a crash, a leak or a broken invariant.
#
#   Fuzz/run.sh [SECONDS]
#
# Everything goes to .build/fuzz/ (git-ignored): the binary, the seed corpus made from the
# golden examples of docs/PROTOCOL.md, the growing corpus and any crash artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
out=.build/fuzz
mkdir -p "$out/seeds" "$out/corpus" "$out/artifacts"

# libFuzzer ships with the Swift toolchain (lib/clang/*/lib/linux/libclang_rt.fuzzer*.a).
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name ReplicastWireFuzz \
    Sources/ReplicastWire/*.swift Fuzz/*.swift -o "$out/wire-fuzzer"

# Seeds: every golden datagram alone (mode 0, and mode 2 = recompute CRC), the fragmented
# example as a sequence (mode 1 and 3), and all examples as one sequence.
rm -f "$out"/seeds/*
perl -e '
    my ($doc, $dir) = @ARGV;
    open(my $fh, "<", $doc) or die "$doc: $!";
    my (%blocks, @order, $name);
    while (<$fh>) {
        if (/^```hex golden:(\S+)/) { $name = $1; push @order, $name; $blocks{$name} = ""; next }
        if (/^```/) { $name = undef; next }
        next unless defined $name;
        s/#.*//; s/\s+//g;
        $blocks{$name} .= pack("H*", $_);
    }
    sub put { my ($file, $bytes) = @_; open(my $o, ">:raw", "$dir/$file") or die; print $o $bytes; close $o }
    sub record { my ($step, $d) = @_; return pack("Cn", $step, length $d) . $d }
    my ($all, $fragmented) = ("", "");
    for my $n (@order) {
        put("single-$n", "\x00" . $blocks{$n});
        put("resealed-$n", "\x02" . $blocks{$n});
        $all .= record(1, $blocks{$n});
        $fragmented = record(0, $blocks{$n}) . $fragmented if $n =~ /fragmented/;
    }
    put("sequence-fragmented", "\x01" . $fragmented);
    put("sequence-fragmented-resealed", "\x03" . $fragmented);
    put("sequence-all", "\x01" . $all . record(0x80, ""));
' docs/PROTOCOL.md "$out/seeds"
echo "seeds: $(ls "$out/seeds" | wc -l) from docs/PROTOCOL.md"

"$out/wire-fuzzer" -max_total_time="$seconds" -max_len=16384 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/" "$out/corpus" "$out/seeds"
