"""Times pyHanko in-process (no interpreter start-up): signing and verifying a PDF.

Usage: python pyhanko_bench.py sign|verify PDF KEY CERT CHAIN ROOT RUNS
Prints the median wall time in milliseconds.
"""
import io
import statistics
import sys
import time

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext


def main():
    mode, pdf, key, cert, chain, root, runs = sys.argv[1:8]
    runs = int(runs)
    times = []
    if mode == "sign":
        signer = signers.SimpleSigner.load(key, cert, ca_chain_files=(chain,))
        meta = signers.PdfSignatureMetadata(field_name="Sig1", subfilter=SigSeedSubFilter.PADES)
        for _ in range(runs):
            t = time.perf_counter()
            with open(pdf, "rb") as f:
                w = IncrementalPdfFileWriter(f)
                out = io.BytesIO()
                signers.sign_pdf(w, meta, signer=signer, output=out)
            times.append(time.perf_counter() - t)
    else:
        vc = ValidationContext(
            trust_roots=[load_cert_from_pemder(root)],
            other_certs=[load_cert_from_pemder(chain)],
            allow_fetching=False,
            revocation_mode="soft-fail",
        )
        for _ in range(runs):
            t = time.perf_counter()
            with open(pdf, "rb") as f:
                r = PdfFileReader(f)
                status = validate_pdf_signature(r.embedded_signatures[0], vc)
                assert status.intact and status.valid, status
            times.append(time.perf_counter() - t)
    print(f"{statistics.median(times) * 1000:.3f}")


main()
