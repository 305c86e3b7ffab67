#!/usr/bin/env python3
"""Builds data/accelerators.toml from Epoch AI's Machine Learning Hardware dataset (CC BY 4.0).

Run from the repository root:
    python3 data/build/accelerators.py data/sources/epoch-ml-hardware.csv > data/accelerators.toml
The source is Epoch's CSV as shipped in data/sources/ (the copy of 2026-03-31; tests check the catalog against it).
The output is committed; Tiergate never reads the source at run time.

Which rows: every Epoch row with a throughput figure that is a data-centre part, and the consumer and
workstation parts released from 2020 on (they can reach 3A090.a's TPP, and the rule treats them apart);
then the current parts Epoch lacks (EXTRA) and the two-GPU superchips (ASSEMBLIES).

Each entry records dense datasheet throughput per precision (tera-operations per second), the applicable die
area where a source gives one, whether the part is designed or marketed for data centres, its memory (type,
capacity, total DRAM bandwidth) and a confidence mark for its figures: `primary` (the vendor's own figure),
`secondary` (a compilation such as Epoch's, or a third party quoting the vendor), `unconfirmed` (sources
disagree or the figure is inferred; the source says how). Tiergate computes TPP (max over precisions of TOPS x
bit length), PD, ECCN and H100-equivalents from these. `epoch_tpp` is Epoch's own "Total processing
performance" column, kept so tests can compare.
"""
import csv
import re
import sys

COLUMNS = [  # (Epoch column, precision key)
    ("FP64 (double precision) performance (FLOP/s)", "fp64"),
    ("FP32 (single precision) performance (FLOP/s)", "fp32"),
    ("FP16 (half precision) performance (FLOP/s)", "fp16"),
    ("Tensor-FP16/BF16 performance (FLOP/s)", "bf16"),
    ("FP8 performance (FLOP/s)", "fp8"),
    ("FP4 performance (FLOP/s)", "fp4"),
    ("INT16 performance (OP/s)", "int16"),
    ("INT8 performance (OP/s)", "int8"),
    ("INT4 performance (OP/s)", "int4"),
]
# TF32 is left out: its bit length under the TPP technical note is disputed, and it never sets the maximum.

RULE_FACTS = "RULE-FACTS.md section 9 (Tiergate's fact sheet)"
HOT_CHIPS_GAUDI = (
    "Intel, 'Intel Gaudi 3 AI Accelerator: Architected for Gen AI Training and Inference' (Hot Chips 2024), "
    "product table"
)

# Ids kept from earlier catalogs (requests and ledgers name them), by Epoch row.
IDS = {
    "NVIDIA H100 SXM5 80GB": "nvidia-h100-sxm",
    "NVIDIA H100 PCIe": "nvidia-h100-pcie",
    "NVIDIA H100 NVL": "nvidia-h100-nvl",
    "NVIDIA H200 SXM": "nvidia-h200-sxm",
    "NVIDIA H800 SXM5": "nvidia-h800-sxm",
    "NVIDIA GH200": "nvidia-gh200",
    "NVIDIA HGX H20": "nvidia-h20",
    "NVIDIA A100 SXM4 80 GB": "nvidia-a100-sxm",
    "NVIDIA A100 PCIe": "nvidia-a100-pcie",
    "NVIDIA A800 SXM": "nvidia-a800-sxm",
    "NVIDIA B100": "nvidia-b100",
    "NVIDIA B200": "nvidia-b200",
    "NVIDIA B300 (Blackwell Ultra)": "nvidia-b300",
    "NVIDIA GB200": "nvidia-gb200",
    "NVIDIA GB300 (Blackwell Ultra)": "nvidia-gb300",
    "NVIDIA L40": "nvidia-l40",
    "NVIDIA GeForce RTX 4090": "nvidia-rtx-4090",
    "AMD Instinct MI300X": "amd-mi300x",
    "AMD Instinct MI325X": "amd-mi325x",
    "AMD Radeon Instinct MI250X": "amd-mi250x",
    "Intel Habana Gaudi2": "intel-gaudi-2",
    "Intel Habana Gaudi3": "intel-gaudi-3",
    "Huawei Ascend 910B": "huawei-ascend-910b",
    "Huawei Ascend 910C": "huawei-ascend-910c",
    "Google TPU v5p": "google-tpu-v5p",
    "Google TPU v6e Trillium": "google-tpu-v6e",
    "Amazon Trainium2": "aws-trainium2",
    "Amazon Trainium3": "aws-trainium3",
    # Clearer ids for a few more.
    "NVIDIA L20 PCle": "nvidia-l20",
    "NVIDIA L2 PCle": "nvidia-l2",
    "NVIDIA L4": "nvidia-l4",
    "AMD Instinct MI300A": "amd-mi300a",
    "AMD Radeon Instinct MI308X": "amd-mi308x",
    "AMD Instinct MI350X": "amd-mi350x",
    "AMD Instinct MI355X": "amd-mi355x",
    "Google TPU v5e": "google-tpu-v5e",
    "Google TPU v7 Ironwood": "google-tpu-v7",
    "Maia 100 (M100)": "microsoft-maia-100",
    "NVIDIA A800 PCIe 40 GB": "nvidia-a800-pcie-40gb",
    "NVIDIA A800 PCIe 80 GB": "nvidia-a800-pcie-80gb",
    "Amazon Trainium1": "aws-trainium1",
    "AWS Inferentia2": "aws-inferentia2",
    "GroqChip LPU v1": "groq-lpu-v1",
    "MT-2000": "nudt-mt-2000",
    "MT-3000": "nudt-mt-3000",
    "MTT S4000": "moore-threads-mtt-s4000",
    "PEZY-SC2": "pezy-sc2",
}

# Epoch's spelling corrected where it is a typo ('PCle') or does not say what the row counts.
NAMES = {
    "NVIDIA L20 PCle": "NVIDIA L20 PCIe",
    "NVIDIA L2 PCle": "NVIDIA L2 PCIe",
    "NVIDIA GB200": "NVIDIA GB200 (one Blackwell GPU of the superchip)",
    "NVIDIA GB300 (Blackwell Ultra)": "NVIDIA GB300 (one Blackwell Ultra GPU of the superchip)",
}

# Designed or marketed for data centres (the Note to 3A090.a): consumer and workstation lines are not.
NOT_DATACENTER = re.compile(r"GeForce|Quadro|TITAN|Titan|Radeon RX|RTX A[456]000|RTX 6000 Ada")

# Corrections of Epoch's throughput: (figures that replace or add to Epoch's, source, confidence).
THROUGHPUT = {
    "Intel Habana Gaudi3": (
        {"bf16": 1835.0, "fp8": 1835.0},
        HOT_CHIPS_GAUDI + ": BF16 and FP8 matrix 1,835 TFLOPS (Epoch's row gives 1,678)",
        "primary",
    ),
    "Intel Habana Gaudi2": (
        {"bf16": 432.0},
        HOT_CHIPS_GAUDI + ": Gaudi 2 peak BF16 432 TFLOPS (Epoch's row gives 450); FP8 865 TFLOPS from Epoch's row",
        "primary",
    ),
    "Huawei Ascend 910B": ({"fp16": 376.0}, RULE_FACTS + ": FP16 376 x 16", "secondary"),
    "AMD Radeon Instinct MI308X": (
        {},
        "Epoch AI ml_hardware.csv, row 'AMD Radeon Instinct MI308X': FP16 653.7 TFLOPS, half of MI300X's dense "
        "1,307.4; AMD publishes no datasheet for this China-market part, so the figure is not confirmed",
        "unconfirmed",
    ),
}

# Die areas Epoch leaves blank or counts differently: (mm2, source).
DIE_AREA = {
    "NVIDIA H100 NVL": (814, RULE_FACTS),
    "NVIDIA H200 SXM": (814, RULE_FACTS),
    "NVIDIA GH200": (814, RULE_FACTS),
    "NVIDIA HGX H20": (814, RULE_FACTS),
    "AMD Radeon Instinct MI250X": (
        1580,
        "derivation: MI250X carries two graphics compute dies of about 790 mm2 each; the applicable die area "
        "counts both (3A090 Technical Note), so 2 x 790 = 1,580 mm2. Epoch's 724 mm2 is one die",
    ),
}

MEMORY_NOTE = "memory type: the vendor's product literature (Epoch has no memory-type column)"
# Memory type by Epoch row name, first match wins. None: no DRAM at all (on-die SRAM only).
MEMORY_TYPES = [
    (r"Rubin CPX", "GDDR7"),
    (r"MTIA 300", "HBM"),
    (r"GB300|B300|B200|B100|GB200|H200|GH200|MI325X|MI35[05]X|TPU v7|Trainium3", "HBM3e"),
    (r"H100 SXM|H100 NVL|H800 SXM|H20|GH100|MI300|MI308X|Trainium2", "HBM3"),
    (r"H100 PCIe|Gaudi|Data Center GPU Max|MI250X|TPU v5p|Ascend 910|MXC500|BR100|Maia 100", "HBM2e"),
    (r"V100|Titan V|P100|TPU v4|TPU v5e|MLU290|Shensuan|BI-V100", "HBM2"),
    (r"TPU v[236]|Trainium1|Inferentia2|Kunlun I$|Kunlun K200", "HBM"),
    (r"RTX 4090|RTX 4080|RTX 4070|RTX 3090|RTX 3080", "GDDR6X"),
    (r"L40|L20|L4$|L2 |A10 |A10G|A40|T4|RTX A|RTX 6000 Ada|Radeon RX|Kunlun II|Kunlun R|MTT S4000", "GDDR6"),
    (r"P40|Tesla P4|M40|M60|K80|K40|K20|C2050", "GDDR5"),
    (r"MLU370|MTIA", "LPDDR5"),
    (r"Ascend 310", "LPDDR4X"),
    (r"Sunway|PEZY", "DDR4"),
    (r"TPU v1", "DDR3"),
    (r"GroqChip|Dojo|Hanguang", None),
]

METAX_MXC500 = (
    64,
    1800,
    "derivation: Epoch gives 18,000 GB/s, a factor-of-ten slip: 64 GB of HBM2e in four stacks at about "
    "460 GB/s each is about 1.8 TB/s",
    "unconfirmed",
)
# Memory figures replacing Epoch's: (capacity GB, DRAM bandwidth GB/s, source, confidence).
MEMORY = {
    "AMD Radeon Instinct MI308X": (
        192,
        5300,
        "derivation: Epoch's 10,300 GB/s contradicts its own memory clock and bus (2,525 MHz double data rate x "
        "8,192 bits = 5,171 GB/s); the part carries MI300X's eight HBM3 stacks, 5.3 TB/s",
        "unconfirmed",
    ),
    "MetaX MXC500 (PCIe)": METAX_MXC500,
    "MetaX MXC500 (OAM)": METAX_MXC500,
    "Meta MTIA v1 (MTIA 100)": (
        64,
        176,
        "Meta, MTIA v1 (ISCA 2023): 64 GB of off-chip LPDDR5 at 176 GB/s; Epoch's memory columns give the "
        "128 MB on-chip SRAM",
        "secondary",
    ),
    "Meta MTIA v2 (MTIA 200)": (
        128,
        204.8,
        "Meta, MTIA v2 announcement (2024): 128 GB of off-chip LPDDR5 at 204.8 GB/s; Epoch's memory columns "
        "give the 256 MB on-chip SRAM",
        "secondary",
    ),
    "Amazon Trainium3": (144, 4900, "AWS, Trainium3 announcement (re:Invent 2025): 144 GB HBM3e at 4.9 TB/s", "secondary"),
    "NVIDIA RTX 6000 Ada Generation": (48, 960, "NVIDIA RTX 6000 Ada datasheet: 48 GB GDDR6, 960 GB/s", "secondary"),
    "NVIDIA Tesla C2050": (3, 144, "NVIDIA Tesla C2050 product brief: 3 GB GDDR5, 144 GB/s", "secondary"),
    "NVIDIA Tesla K20X": (6, 250, "NVIDIA Tesla K20X product brief: 6 GB GDDR5, 250 GB/s", "secondary"),
    "NVIDIA Tesla P100 SXM2": (16, 732, "NVIDIA Tesla P100 datasheet: 16 GB HBM2 (CoWoS), 732 GB/s", "secondary"),
    "NVIDIA Tesla P100 DGXS": (16, 732, "NVIDIA Tesla P100 datasheet: 16 GB HBM2 (CoWoS), 732 GB/s", "secondary"),
    "Maia 100 (M100)": (
        64,
        1800,
        "Microsoft, Maia 100 (Hot Chips 2024): 64 GB HBM2E at 1.8 TB/s (not in Epoch's row)",
        "secondary",
    ),
}

# Current parts Epoch lacks (all NVIDIA data-centre parts), from vendor figures quoted by a third party, or derived:
# (id, name, released, dense TOPS, throughput source, (die mm2, source), (memory type, GB, GB/s, source)).
EXTRA = [
    (
        "nvidia-h200-nvl",
        "NVIDIA H200 NVL",
        "2024-11-18",
        {"bf16": 835.5, "fp8": 1670.5, "int8": 1670.5},
        "NVIDIA H200 product page, as quoted at morphllm.com/nvidia-h200: 3,341 FP8 and 1,671 FP16 TFLOPS with "
        "sparsity, halved for dense; " + RULE_FACTS + " gives 1,670.5 x 8 = 13,364",
        (814, RULE_FACTS + ": the GH100 die of the H100 and H200"),
        ("HBM3e", 141, 4800, "NVIDIA H200 product page, as quoted at morphllm.com/nvidia-h200: 141 GB HBM3e at 4.8 TB/s"),
    ),
    (
        "nvidia-h800-pcie",
        "NVIDIA H800 PCIe 80GB",
        "2023-03-21",
        {"fp64": 25.61, "fp32": 51.22, "fp16": 204.9, "bf16": 756},
        "derivation: the H800 PCIe is the H100 PCIe with a reduced chip-to-chip interconnect (its compute is "
        "unchanged), so Epoch AI's row 'NVIDIA H100 PCIe' gives its throughput",
        (814, RULE_FACTS + ": the GH100 die"),
        ("HBM2e", 80, 2000, "derivation: the H100 PCIe's 80 GB of HBM2e, 2.0 TB/s"),
    ),
    (
        "nvidia-l40s",
        "NVIDIA L40S",
        "2023-08-08",
        {"fp32": 91.6, "bf16": 362.05, "fp8": 733, "int8": 733},
        "NVIDIA L40S datasheet, as tabled at mullet.se (product 355414): FP8 733 and BF16 362.05 TFLOPS dense "
        "(1,466 and 733 with sparsity)",
        (609, "the AD102 die, as given for the L40S at m.reach.dog (609 mm2; Epoch gives 608 for the L40)"),
        ("GDDR6", 48, 864, "NVIDIA L40S datasheet, as tabled at mullet.se: 48 GB GDDR6, 864 GB/s"),
    ),
]

# Two-GPU superchips: a 4A090-class assembly of the per-GPU row (per_unit 2). Memory is the GPUs' HBM only.
ASSEMBLIES = [
    ("nvidia-gb200-superchip", "NVIDIA GB200 Grace Blackwell Superchip (two GPUs)", "nvidia-gb200", 2, "NVIDIA GB200"),
    (
        "nvidia-gb300-superchip",
        "NVIDIA GB300 Grace Blackwell Ultra Superchip (two GPUs)",
        "nvidia-gb300",
        2,
        "NVIDIA GB300 (Blackwell Ultra)",
    ),
]


def num(s: str):
    return float(s) if s not in ("", "inf", "nan") else None


def tera(x: float) -> float:
    return round(x / 1e12, 3)


def fmt(x: float) -> str:
    return str(int(x)) if x == int(x) else repr(x)


def q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def slug(manufacturer: str, name: str) -> str:
    first = name.split()[0].lower()
    s = name if first in manufacturer.lower().split() else f"{manufacturer.split()[0]} {name}"
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def memory_type(name: str):
    for pattern, kind in MEMORY_TYPES:
        if re.search(pattern, name):
            return True, kind
    return False, None


def emit(e: dict) -> None:
    print("[[accelerator]]")
    print(f"id = {q(e['id'])}")
    print(f"name = {q(e['name'])}")
    print(f"manufacturer = {q(e['manufacturer'])}")
    print(f"datacenter = {'true' if e['datacenter'] else 'false'}")
    if e.get("released"):
        print(f"released = {q(e['released'])}")
    print(f"confidence = {q(e['confidence'])}")
    if e.get("assembly"):
        of, count = e["assembly"]
        print(f"assembly = {{ of = {q(of)}, count = {count} }}")
    if e.get("die"):
        print(f"die_area_mm2 = {fmt(e['die'][0])}")
        print(f"die_area_source = {q(e['die'][1])}")
    if e.get("epoch_tpp"):
        print(f"epoch_tpp = {fmt(e['epoch_tpp'])}")
    if e.get("throughput_source"):
        print(f"throughput_source = {q(e['throughput_source'])}")
    kind, gb, bw, source = e["memory"]
    print(f"memory_type = {q(kind if kind else 'none')}")
    if gb:
        print(f"memory_gb = {fmt(gb)}")
    if bw:
        print(f"dram_bandwidth_gbps = {fmt(bw)}")
    print(f"memory_source = {q(source)}")
    if e.get("dense_tops"):
        print("[accelerator.dense_tops]")
        for k, v in e["dense_tops"].items():
            print(f"{k} = {fmt(v)}")
    print()


def from_epoch(r: dict) -> dict | None:
    name = r["Hardware name"]
    tops = {}
    for col, key in COLUMNS:
        v = num(r[col])
        if v is not None and v > 0:
            tops[key] = tera(v)
    if not tops:
        return None
    datacenter = not NOT_DATACENTER.search(name)
    if not datacenter and (r["Release date"] or "0") < "2020":
        return None
    row = f"Epoch AI ml_hardware.csv, row {name!r}"
    source, confidence = row, "secondary"
    if name in THROUGHPUT:
        fix, source, confidence = THROUGHPUT[name]
        tops.update(fix)
    area = num(r["Die Size (mm^2)"])
    die = (area, row) if area else None
    if name in DIE_AREA:
        die = DIE_AREA[name]
    known, kind = memory_type(name)
    if name in MEMORY:
        gb, bw, msource, mconf = MEMORY[name]
        if mconf == "unconfirmed":
            confidence = "unconfirmed"
    else:
        gb = num(r["Memory (bytes)"])
        gb = round(gb / 1e9, 3) if gb else None
        bw = num(r["Memory bandwidth (byte/s)"])
        bw = round(bw / 1e9, 3) if bw else None
        msource = f"{row}; {MEMORY_NOTE}" if known else f"{row}; memory type not published"
        if kind is None and known:
            gb, bw = None, None
            msource = f"no DRAM: the part works from on-die SRAM ({MEMORY_NOTE}); Epoch's memory columns give the SRAM"
    if re.search(r"A[18]00", name):
        kind = "HBM2e" if (bw or 0) >= 1900 else "HBM2"
        known = True
    if not known:
        kind = "unknown"
    if kind is not None and not bw:
        msource += "; DRAM bandwidth not published"
    epoch_tpp = num(r["Total processing performance (bit-OP/s)"])
    return {
        "id": IDS.get(name) or slug(r["Manufacturer"] or name, name),
        "name": NAMES.get(name, name),
        "manufacturer": r["Manufacturer"] or name.split()[0],
        "datacenter": datacenter,
        "released": r["Release date"],
        "confidence": confidence,
        "die": die,
        "epoch_tpp": round(epoch_tpp / 1e12, 3) if epoch_tpp else None,
        "throughput_source": source,
        "memory": (kind, gb, bw, msource),
        "dense_tops": tops,
        "epoch_name": name,
    }


def main() -> None:
    rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
    entries = [e for e in (from_epoch(r) for r in rows) if e]
    entries.sort(key=lambda e: (e["manufacturer"].lower(), e["released"] or "9999", e["id"]), reverse=False)
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    print("# Accelerator catalog: dense datasheet throughput per precision, in tera-operations per second, and memory.")
    print("# Generated by data/build/accelerators.py. Data: Epoch AI, Machine Learning Hardware dataset (epoch.ai), CC BY 4.0;")
    print("# see data/licenses/EPOCH-AI.md. Figures not from Epoch's row name their source in `*_source`.")
    print()
    by_id = {e["id"]: e for e in entries}
    for e in entries:
        emit(e)
    for ident, name, released, tops, source, die, memory in EXTRA:
        emit(
            {
                "id": ident,
                "name": name,
                "manufacturer": "NVIDIA",
                "datacenter": True,
                "released": released,
                "confidence": "secondary",
                "die": die,
                "throughput_source": source,
                "memory": memory,
                "dense_tops": tops,
            }
        )
    for ident, name, of, count, _ in ASSEMBLIES:
        gpu = by_id[of]
        kind, gb, bw, _ = gpu["memory"]
        emit(
            {
                "id": ident,
                "name": name,
                "manufacturer": gpu["manufacturer"],
                "datacenter": True,
                "released": gpu["released"],
                "confidence": gpu["confidence"],
                "assembly": (of, count),
                "memory": (
                    kind,
                    round(gb * count, 3),
                    round(bw * count, 3),
                    f"derivation: {count} x the GPU's HBM ({gpu['memory'][3]}); the Grace CPU's LPDDR5X is not counted",
                ),
            }
        )


if __name__ == "__main__":
    main()
