#!/usr/bin/env bash
# Regenerates test/fixtures/pdf/ (issue 17): a test CA and signer certificates made with openssl, PDFs
# made with pdfkit and signed by poppler's pdfsig through an NSS database — an implementation that is
# not ours — plus a few hand-made incremental updates and damaged copies. What each file is and what
# the verifier must say about it: test/fixtures/pdf/README.md.
#
# Keys are made anew on every run and never written to the repository: the certificates and the
# signed PDFs are committed, the private keys stay in a temporary directory that is deleted on exit.
# Needs: openssl, node, and the Debian packages poppler-utils (pdfsig) and libnss3-tools (certutil,
# pk12util).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in openssl node pdfsig certutil pk12util; do
  command -v "$tool" >/dev/null || { echo "make-pdf-fixtures: $tool is missing (apt-get install openssl poppler-utils libnss3-tools)" >&2; exit 1; }
done

OUT=test/fixtures/pdf
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT/certs" "$WORK/db"
rm -f "$OUT"/*.pdf "$OUT"/certs/*.pem

# ---- certificates --------------------------------------------------------------------------------

cat >"$WORK/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
string_mask = utf8only
utf8 = yes
[dn]
CN = unused
[ca]
default_ca = test
[test]
database = $ENV::WORK/db/index.txt
serial = $ENV::WORK/db/serial
new_certs_dir = $ENV::WORK/db
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
# A personal certificate: a leader's legal signature. NSS (pdfsig) wants emailProtection when a
# certificate restricts its purposes; documentSigning is RFC 9336's purpose for this.
[person]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = emailProtection,1.3.6.1.5.5.7.3.36
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
# The agency's certificate (its seal), bound to the agency code as src/crypto binds agency certificates.
[agency]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = emailProtection,1.3.6.1.5.5.7.3.36
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
# A time-stamping authority (RFC 3161 §2.3: timeStamping as its only, critical, extended key usage).
[tsa]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tsa_config]
serial = $ENV::WORK/db/tsa-serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256
ess_cert_id_alg = sha256
ess_cert_id_chain = no
accuracy = secs:1
ordering = no
tsa_name = no
other_policies = 1.3.6.1.4.1.99999.2
# A certificate for encryption only: it must not be accepted for a signature.
[encipherment]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyEncipherment
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
export WORK
: >"$WORK/db/index.txt"
echo 1001 >"$WORK/db/serial"
echo 01 >"$WORK/db/tsa-serial"

# make_ca NAME SUBJECT: a self-signed root valid for 30 years.
make_ca() {
  openssl req -x509 -newkey rsa:2048 -nodes -utf8 -config "$WORK/openssl.cnf" -extensions root -sha256 -days 10950 \
    -subj "$2" -keyout "$WORK/$1.key" -out "$WORK/$1.pem" 2>/dev/null
}

# issue NAME CA EXTENSIONS SUBJECT [openssl ca validity options]: a leaf certificate from CA.
issue() {
  local name=$1 ca=$2 ext=$3 subject=$4
  shift 4
  openssl req -newkey rsa:2048 -nodes -utf8 -config "$WORK/openssl.cnf" -subj "$subject" \
    -keyout "$WORK/$name.key" -out "$WORK/$name.csr" 2>/dev/null
  openssl ca -batch -config "$WORK/openssl.cnf" -preserveDN -utf8 -notext -cert "$WORK/$ca.pem" -keyfile "$WORK/$ca.key" \
    -extensions "$ext" -in "$WORK/$name.csr" -out "$WORK/$name.pem" "$@" 2>/dev/null
}

make_ca test-ca "/C=VN/O=Lienthong test/CN=Lienthong test CA"
make_ca untrusted-ca "/C=VN/O=Somebody else/CN=Untrusted test CA"
issue person test-ca person "/C=VN/ST=Thừa Thiên Huế/O=UBND tỉnh Thừa Thiên Huế/title=Chủ tịch/CN=Nguyễn Văn An/UID=CCCD:046080001234" -days 7300
issue agency test-ca agency "/C=VN/O=UBND tỉnh Thừa Thiên Huế/serialNumber=000.00.33.H33/CN=UBND tỉnh Thừa Thiên Huế" -days 7300
issue stranger untrusted-ca person "/C=VN/O=UBND tỉnh Thừa Thiên Huế/title=Phó Chủ tịch/CN=Trần Thị Bình/UID=CCCD:046080005678" -days 7300
issue expired test-ca person "/C=VN/O=UBND tỉnh Thừa Thiên Huế/title=Phó Chủ tịch/CN=Lê Văn Cường" -startdate 20200101000000Z -enddate 20210101000000Z
issue encipherment test-ca encipherment "/C=VN/O=UBND tỉnh Thừa Thiên Huế/title=Chánh Văn phòng/CN=Phạm Thị Dung" -days 7300
issue tsa test-ca tsa "/C=VN/O=Lienthong test/CN=Lienthong test TSA" -days 7300

for name in test-ca untrusted-ca person agency stranger expired encipherment tsa; do
  openssl x509 -in "$WORK/$name.pem" -out "$OUT/certs/$name.pem"
done

# ---- the NSS database pdfsig signs from ------------------------------------------------------------

NSS="sql:$WORK/nss"
mkdir -p "$WORK/nss"
certutil -N -d "$NSS" --empty-password
for name in person agency stranger expired encipherment; do
  openssl pkcs12 -export -inkey "$WORK/$name.key" -in "$WORK/$name.pem" -name "$name" -out "$WORK/$name.p12" -passout pass:fixture
  pk12util -i "$WORK/$name.p12" -d "$NSS" -W fixture >/dev/null
done

# sign IN OUT NICK FIELD [more pdfsig options]: signs the empty signature field FIELD of IN.
sign() {
  local in=$1 out=$2 nick=$3 field=$4
  shift 4
  pdfsig -nssdir "$NSS" -nick "$nick" -sign "$field" "$@" "$in" "$out" 2> >(grep -v NSS_Shutdown >&2)
}

# ---- the PDFs ----------------------------------------------------------------------------------

# node FUNCTION ARGS…: the helpers below, run from the repository so that pdfkit resolves.
cat >"$WORK/helpers.cjs" <<'EOF'
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { createRequire } = require('node:module');
const repo = createRequire(join(process.cwd(), 'package.json'));
const PDFDocument = repo('pdfkit');

/** A one-page directive (chỉ thị) in Vietnamese; with signature fields when asked. */
function draft(out, withFields) {
  const fixed = new Date('2026-01-07T02:00:00Z');
  const doc = new PDFDocument({ size: 'A4', info: { Title: 'Chỉ thị 15/CT-UBND', Author: 'UBND tỉnh Thừa Thiên Huế', CreationDate: fixed, ModDate: fixed } });
  const chunks = [];
  doc.on('data', (c) => chunks.push(c));
  doc.on('end', () => writeFileSync(out, Buffer.concat(chunks)));
  doc.registerFont('body', readFileSync(repo.resolve('dejavu-fonts-ttf/ttf/DejaVuSerifCondensed.ttf')));
  doc.font('body').fontSize(13).text('ỦY BAN NHÂN DÂN TỈNH THỪA THIÊN HUẾ');
  doc.moveDown().fontSize(16).text('CHỈ THỊ', { align: 'center' });
  doc.fontSize(13).text('Về việc tăng cường công tác phòng, chống thiên tai năm 2026', { align: 'center' });
  doc.moveDown().text('Chủ tịch Ủy ban nhân dân tỉnh yêu cầu các sở, ban, ngành thực hiện nghiêm các nội dung sau.');
  if (withFields) {
    // The field the văn thư writes the number and symbol into (số, ký hiệu), and two empty,
    // invisible signature fields: the leader's and the agency's (NĐ 30 Phụ lục I).
    doc.initForm();
    doc.formText('So-ky-hieu', 72, 770, 200, 20, {});
    for (const name of ['Signature-person', 'Signature-agency']) {
      doc.annotate(0, 0, 0, 0, { Subtype: 'Widget', FT: 'Sig', T: new String(name), F: 132 });
      doc._addToParent(doc.page.annotations[doc.page.annotations.length - 1]);
    }
  }
  doc.end();
}

/** The last definition of the page object: its number and dictionary text. */
function lastPage(text) {
  const all = [...text.matchAll(/(\d+) 0 obj\s*(<<\s*\/Type \/Page\b[\s\S]*?>>)\s*endobj/g)];
  const m = all[all.length - 1];
  return { num: Number(m[1]), dict: m[2] };
}

/** Appends an incremental update (ISO 32000-2 §7.5.6) holding `objects`, with its own xref table. */
function appendUpdate(pdf, objects) {
  const text = pdf.toString('latin1');
  const prev = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)[1]);
  const trailer = text.slice(text.lastIndexOf('trailer'), text.lastIndexOf('startxref'));
  const root = /\/Root\s+(\d+ \d+ R)/.exec(trailer)[1];
  const info = /\/Info\s+(\d+ \d+ R)/.exec(trailer);
  const size = Math.max(Number(/\/Size\s+(\d+)/.exec(trailer)[1]), ...objects.map((o) => o.num + 1));
  const parts = [pdf, pdf[pdf.length - 1] === 0x0a ? '' : '\n'];
  let pos = pdf.length + parts[1].length;
  const entries = [];
  for (const { num, body } of [...objects].sort((a, b) => a.num - b.num)) {
    const chunk = `${num} 0 obj\n${body}\nendobj\n`;
    entries.push(`${num} 1\n${String(pos).padStart(10, '0')} 00000 n\r\n`);
    parts.push(chunk);
    pos += Buffer.byteLength(chunk, 'latin1');
  }
  parts.push(`xref\n${entries.join('')}trailer\n<< /Size ${size} /Root ${root}${info ? ` /Info ${info[1]}` : ''} /Prev ${prev} >>\nstartxref\n${pos}\n%%EOF\n`);
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
}

const nextNumber = (text) => Number(/\/Size\s+(\d+)/.exec(text.slice(text.lastIndexOf('trailer')))[1]);

const commands = {
  draft: (out) => draft(out, false),
  'draft-with-fields': (out) => draft(out, true),
  /** After the signature: a new content stream drawn over the page (a white box hides the title). */
  'change-content': (input, out) => {
    const pdf = readFileSync(input);
    const text = pdf.toString('latin1');
    const page = lastPage(text);
    const n = nextNumber(text);
    const drawing = 'q 1 1 1 rg 50 740 500 60 re f Q q 0.8 0 0 rg 72 700 200 24 re f Q';
    writeFileSync(out, appendUpdate(pdf, [
      { num: n, body: `<< /Length ${drawing.length} >>\nstream\n${drawing}\nendstream` },
      { num: page.num, body: page.dict.replace(/\/Contents (\d+ 0 R)/, `/Contents [$1 ${n} 0 R]`) },
    ]));
  },
  /** After the signature: a square annotation over the page, added to the page's /Annots. */
  'add-annotation': (input, out) => {
    const pdf = readFileSync(input);
    const text = pdf.toString('latin1');
    const page = lastPage(text);
    const n = nextNumber(text);
    writeFileSync(out, appendUpdate(pdf, [
      { num: n, body: '<< /Type /Annot /Subtype /Square /Rect [50 740 550 800] /C [1 1 1] /IC [1 1 1] /F 4 /Contents (Ghi chú) >>' },
      { num: page.num, body: page.dict.replace(/\/Annots \[([^\]]*)\]/, `/Annots [$1 ${n} 0 R]`) },
    ]));
  },
  /** One byte inside the signed range: the page's width, 595.28 → 595.29 points. */
  'change-byte': (input, out) => {
    const pdf = Buffer.from(readFileSync(input));
    const at = pdf.indexOf('595.28');
    pdf[at + 5] = '9'.charCodeAt(0);
    writeFileSync(out, pdf);
  },
};

/**
 * A document timestamp (ISO 32000-2 §12.8.5, ETSI.RFC3161) in an incremental update: a /DocTimeStamp
 * dictionary with its field, then an RFC 3161 token over the covered bytes from `openssl ts`
 * acting as the time-stamping authority.
 */
/** The văn thư's step: the number written into the draft's text field, with its appearance. */
commands['fill-number'] = (input, out) => {
  const pdf = readFileSync(input);
  const text = pdf.toString('latin1');
  const at = text.lastIndexOf('/T (So-ky-hieu)');
  const header = [...text.slice(0, at).matchAll(/(\d+) 0 obj/g)].pop();
  const dict = text.slice(header.index + header[0].length, text.indexOf('endobj', at)).trim();
  const n = nextNumber(text);
  const drawing = 'BT /Helv 11 Tf 2 6 Td (15/CT-UBND) Tj ET';
  writeFileSync(out, appendUpdate(pdf, [
    { num: Number(header[1]), body: `${dict.slice(0, dict.lastIndexOf('>>'))} /V (15/CT-UBND) /AP << /N ${n} 0 R >> >>` },
    { num: n, body: `<< /Type /XObject /Subtype /Form /BBox [0 0 200 20] /Resources << /Font << /Helv ${n + 1} 0 R >> >> /Length ${drawing.length} >>\nstream\n${drawing}\nendstream` },
    { num: n + 1, body: '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>' },
  ]));
};

commands['add-doc-timestamp'] = (input, out, work) => {
  const { execFileSync } = require('node:child_process');
  const pdf = readFileSync(input);
  const text = pdf.toString('latin1');
  const page = lastPage(text);
  const form = /\/AcroForm (\d+) 0 R/.exec(text)[1];
  const formDict = [...text.matchAll(new RegExp(`\\n${form} 0 obj\\s*(<<[\\s\\S]*?>>)\\s*endobj`, 'g'))].pop()[1];
  const n = nextNumber(text);
  const reserved = 16384; // bytes of room for the token
  const placeholder = '[0 0000000000 0000000000 0000000000]';
  const update = appendUpdate(pdf, [
    { num: n, body: `<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161 /ByteRange ${placeholder} /Contents <${'0'.repeat(reserved * 2)}> >>` },
    { num: n + 1, body: `<< /Type /Annot /Subtype /Widget /FT /Sig /T (Timestamp) /Rect [0 0 0 0] /F 132 /P ${page.num} 0 R /V ${n} 0 R >>` },
    { num: page.num, body: page.dict.replace(/\/Annots \[([^\]]*)\]/, `/Annots [$1 ${n + 1} 0 R]`) },
    { num: Number(form), body: formDict.replace(/\/Fields \[([^\]]*)\]/, `/Fields [$1 ${n + 1} 0 R]`) },
  ]);
  const utext = update.toString('latin1');
  const b = utext.indexOf('<', utext.indexOf('/Contents <0000', pdf.length));
  const c = b + reserved * 2 + 2;
  const pad = (x) => String(x).padStart(10, '0');
  update.write(`[0 ${pad(b)} ${pad(c)} ${pad(update.length - c)}]`, utext.indexOf(placeholder, pdf.length), 'latin1');
  writeFileSync(join(work, 'covered.bin'), Buffer.concat([update.subarray(0, b), update.subarray(c)]));
  const ts = (...args) => execFileSync('openssl', ['ts', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  ts('-query', '-data', join(work, 'covered.bin'), '-sha256', '-cert', '-no_nonce', '-out', join(work, 'request.tsq'));
  ts('-reply', '-config', join(work, 'openssl.cnf'), '-section', 'tsa_config', '-queryfile', join(work, 'request.tsq'), '-signer', join(work, 'tsa.pem'), '-inkey', join(work, 'tsa.key'), '-chain', join(work, 'test-ca.pem'), '-token_out', '-out', join(work, 'token.der'));
  const token = readFileSync(join(work, 'token.der')).toString('hex');
  if (token.length > reserved * 2) throw new Error('timestamp token larger than the room reserved for it');
  update.write(token, b + 1, 'latin1');
  writeFileSync(out, update);
};

const [command, ...args] = process.argv.slice(2);
commands[command](...args);
EOF
helper() { node "$WORK/helpers.cjs" "$@"; }

helper draft "$OUT/unsigned.pdf"
helper draft-with-fields "$OUT/unsigned-with-empty-fields.pdf"
DRAFT="$OUT/unsigned-with-empty-fields.pdf"

sign "$DRAFT" "$OUT/valid-person.pdf" person Signature-person -reason "Ký ban hành"
sign "$OUT/valid-person.pdf" "$OUT/valid-person-then-agency.pdf" agency Signature-agency -reason "Cấp số và ký số"
# pdfsig -add-signature: new fields, appearance streams and a font, a rewritten catalog and page.
pdfsig -nssdir "$NSS" -nick person -add-signature -new-signature-field-name Signature-person "$OUT/unsigned.pdf" "$WORK/added-person.pdf" 2> >(grep -v NSS_Shutdown >&2)
pdfsig -nssdir "$NSS" -nick agency -add-signature -new-signature-field-name Signature-agency "$WORK/added-person.pdf" "$OUT/valid-person-then-agency-added-fields.pdf" 2> >(grep -v NSS_Shutdown >&2)

sign "$DRAFT" "$WORK/agency-first.pdf" agency Signature-agency
sign "$WORK/agency-first.pdf" "$OUT/invalid-agency-then-person.pdf" person Signature-person
# NĐ 30's order: the leader signs, the văn thư writes the number into the field, then the agency signs.
helper fill-number "$OUT/valid-person.pdf" "$OUT/invalid-number-written-after-signing.pdf"
sign "$OUT/invalid-number-written-after-signing.pdf" "$OUT/valid-person-then-number-then-agency.pdf" agency Signature-agency
helper change-content "$OUT/valid-person.pdf" "$OUT/invalid-content-changed-after-signing.pdf"
helper add-annotation "$OUT/valid-person.pdf" "$OUT/invalid-annotation-added-after-signing.pdf"
sign "$DRAFT" "$OUT/invalid-untrusted-ca.pdf" stranger Signature-person
helper change-byte "$OUT/valid-person.pdf" "$OUT/invalid-byte-changed.pdf"
helper add-doc-timestamp "$OUT/valid-person-then-agency.pdf" "$OUT/valid-person-then-agency-then-timestamp.pdf" "$WORK"
sign "$DRAFT" "$OUT/invalid-expired-certificate.pdf" expired Signature-person
sign "$DRAFT" "$OUT/invalid-key-usage.pdf" encipherment Signature-person

ls -l "$OUT"/*.pdf "$OUT"/certs/*.pem
