"""The real-traffic capture the signature benchmarks use: every Ethernet capture of the corpus
concatenated with mergecap -a, repeated `repeat` times with the time shifted (bench/out/
corpus-mix-xN.pcap, built once)."""
import glob
import os
import subprocess


def corpus_mix(corpus, out, repeat):
    mix = os.path.join(out, "corpus-mix-x%d.pcap" % repeat)
    if os.path.exists(mix):
        return mix
    os.makedirs(out, exist_ok=True)
    eth = []
    for p in sorted(glob.glob(os.path.join(corpus, "pcaps", "**", "*.pcap*"), recursive=True)):
        r = subprocess.run(["capinfos", "-E", "-T", p], capture_output=True, text=True)
        if "\tether" in r.stdout:
            eth.append(p)
    one = os.path.join(out, "corpus-mix-x1.pcap")
    subprocess.run(["mergecap", "-a", "-F", "pcap", "-w", one] + eth, check=True)
    parts = []
    for i in range(repeat):
        part = os.path.join(out, "part%d.pcap" % i)
        subprocess.run(["editcap", "-t", str(i * 86400 * 400), one, part], check=True)
        parts.append(part)
    subprocess.run(["mergecap", "-a", "-F", "pcap", "-w", mix] + parts, check=True)
    for p in parts:
        os.unlink(p)
    return mix
