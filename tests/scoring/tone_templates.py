"""Hand-written Indonesian templates for the tone model's invariance and sanity checks.

Written here for this purpose (not from the labelled corpus). ``{X}`` is the watched entity.
Used by tests/scoring/test_tone.py and bench/tone_eval.py.
"""

from __future__ import annotations

# Names swapped into the templates: institutions, officials, programmes, regional governments,
# state companies; some in the labelled set, some not (unseen names matter most).
NAMES = (
    "KPK",
    "Polri",
    "DPR",
    "Kementerian Kesehatan",
    "Gubernur Jawa Tengah",
    "Pemkab Sleman",
    "Bawaslu",
    "Basarnas",
    "PT Pelindo",
    "Program Kartu Sembako",
    "Dinas Pendidikan Kota Bandung",
    "Wali Kota Surabaya",
)

NEUTRAL = (
    "{X} menggelar rapat koordinasi dengan sejumlah instansi di Jakarta, Senin.",
    "{X} dijadwalkan menghadiri peresmian gedung baru pekan depan.",
    "Rapat kerja bersama {X} dimulai pukul 10.00 WIB.",
    "{X} menerima kunjungan delegasi dari Malaysia untuk membahas kerja sama.",
    "Menurut data {X}, jumlah peserta tahun ini mencapai 1.200 orang.",
    "{X} menyampaikan jadwal kegiatan selama bulan Ramadan.",
    "Acara tersebut dihadiri perwakilan {X} dan tokoh masyarakat setempat.",
    "{X} akan mengumumkan hasil seleksi pada akhir bulan ini.",
    "Juru bicara {X} mengatakan pertemuan berlangsung selama dua jam.",
    "{X} membuka pendaftaran bagi warga yang ingin mengikuti pelatihan.",
)

NEGATIVE = (
    "{X} dikritik keras karena lamban menangani keluhan warga.",
    "Warga menggelar demo menolak kebijakan {X} yang dinilai merugikan.",
    "{X} diduga terlibat kasus korupsi dana bantuan sosial.",
    "Kinerja {X} dinilai buruk dan mengecewakan masyarakat.",
    "{X} digugat ke pengadilan atas kelalaian yang menewaskan tiga orang.",
    "Skandal suap menyeret nama {X} dan memicu kemarahan publik.",
    "{X} gagal memenuhi janji dan dituding membohongi warga.",
    "Pengamat menyebut {X} tidak becus mengelola anggaran.",
    "{X} menjadi sasaran kecaman setelah layanan lumpuh berhari-hari.",
    "Badan Pemeriksa menemukan penyimpangan anggaran di {X}.",
)

POSITIVE = (
    "{X} meraih penghargaan sebagai lembaga dengan pelayanan publik terbaik.",
    "Warga memuji {X} yang sigap membantu korban banjir.",
    "{X} berhasil menyelesaikan pembangunan jembatan lebih cepat dari target.",
    "Kinerja {X} diapresiasi karena berhasil menurunkan angka kemiskinan.",
    "{X} mendapat opini Wajar Tanpa Pengecualian dari BPK untuk kelima kalinya.",
    "Program {X} dinilai sukses dan mendapat dukungan luas masyarakat.",
    "{X} menuai pujian setelah menyalurkan bantuan tepat waktu.",
    "Survei menunjukkan kepuasan publik terhadap {X} meningkat tajam.",
    "{X} sukses meningkatkan pendapatan daerah hingga dua kali lipat.",
    "Presiden mengapresiasi langkah cepat {X} dalam menangani bencana.",
)

# The entity acts against wrongdoing by someone else: not bad for the entity.
ACTS_AGAINST = (
    "{X} menangkap seorang bupati yang diduga menerima suap proyek jalan.",
    "{X} menetapkan mantan kepala dinas sebagai tersangka korupsi.",
    "{X} menyita barang bukti narkoba senilai Rp 5 miliar dari jaringan pengedar.",
    "{X} membongkar praktik pungutan liar di pelabuhan.",
)

FILLER = (
    "Kegiatan itu berlangsung di Jakarta dan diikuti ratusan peserta. "
    "Panitia menyiapkan tempat duduk dan konsumsi bagi para tamu. "
    "Acara ditutup dengan doa bersama dan foto bersama."
)


def article(sentence: str, name: str, *, in_title: bool = True) -> tuple[str, str]:
    """(title, body) of a short article carrying the sentence in the headline or at the end."""
    text = sentence.format(X=name)
    if in_title:
        return text.rstrip("."), f"{text} {FILLER}"
    return "Kegiatan warga di Jakarta", f"{FILLER} {text}"
