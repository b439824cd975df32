#!/usr/bin/env bash
# The README's walkthrough, whole. README.md shows each `# --- NAME` section of this file verbatim,
# in the ```sh block that follows its `<!-- walkthrough: NAME -->` marker; test/readme-walkthrough.test.ts
# checks that the two agree and runs this file against a real node, from seeding to a verified archive.
#
# With the node running (`npm start` in another terminal): bash docs/walkthrough.sh
# Every file it writes goes to a fresh temporary folder (printed first and last), never the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

# --- setup
export LT=${LT:-http://localhost:3000}               # the node: npm start prints its address
DATA=${LIENTHONG_DATA_DIR:-.data}                    # its data folder (admin token, demo tokens)
ADMIN=${LIENTHONG_ADMIN_TOKEN:-$(cat "$DATA/admin-token")}
WORK=$(mktemp -d)                                    # every file of the walkthrough goes here
echo "files go to $WORK"

# api TOKEN [curl options] URL — the answer; on an HTTP error, the node's problem+json on stderr
api() { local out; out=$(curl -sS --fail-with-body -H "Authorization: Bearer $1" "${@:2}") || { echo "$out" >&2; return 1; }
  [ -z "$out" ] || echo "$out"; }
# ... | js EXPR — a JavaScript expression over the JSON on stdin (`j`), printed; fails when it is
# undefined, null, false or "" (node is all it needs; `jq -r` does the same where it is installed)
js() { node -e 'const j = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const v = new Function("j", `return (${process.argv[1]})`)(j);
  if (v === undefined || v === null || v === false || v === "") process.exit(1);
  console.log(typeof v === "string" ? v : JSON.stringify(v, null, 2));' "$1"; }
# get TOKEN URL [EXPR] — api, then js
get() { api "$1" "$2" | js "${3:-j}"; }
# retry COMMAND... — again every second until it succeeds, for up to two minutes: the node delivers,
# answers and seals in the background, so what a call starts shows a moment later
retry() { for _ in $(seq 120); do "$@" 2>/dev/null && return; sleep 1; done; "$@"; }

# --- directory
# A neighbouring district and one of its communes (codes in the QCVN 102 shape, illustrative). The
# Idempotency-Key makes each call safe to repeat: the same key and body return the first answer.
api $ADMIN -X POST $LT/v1/agencies -H 'Idempotency-Key: readme-agency-1' -H 'Content-Type: application/json' \
  -d '{"code":"000.00.34.H33","name":"UBND huyện Giang Thành","administrativeUnit":"Giang Thành","level":"district"}' | js j.code
api $ADMIN -X POST $LT/v1/agencies -H 'Idempotency-Key: readme-agency-2' -H 'Content-Type: application/json' \
  -d '{"code":"000.01.34.H33","name":"UBND xã Phú Lợi","administrativeUnit":"Phú Lợi","level":"commune","parentCode":"000.00.34.H33"}' | js j.code
get $ADMIN "$LT/v1/agencies?parent=000.00.34.H33" 'j.items.map(a => `${a.code} ${a.name}`).join("\n")'

# a group, a clerk of the district (its token is shown once), a partner node that pulls its packages
api $ADMIN -X POST $LT/v1/groups -H 'Idempotency-Key: readme-group-1' -H 'Content-Type: application/json' \
  -d '{"code":"GT-XA","name":"Các xã Giang Thành","members":["000.01.34.H33"]}' | js j.code
api $ADMIN -X POST $LT/v1/users -H 'Idempotency-Key: readme-user-1' -H 'Content-Type: application/json' \
  -d '{"agencyCode":"000.00.34.H33","name":"Văn thư huyện Giang Thành","roles":["clerk"]}' | js j
api $ADMIN -X POST $LT/v1/partners -H 'Idempotency-Key: readme-partner-1' -H 'Content-Type: application/json' \
  -d '{"id":"node-b","name":"Node liên thông B","kind":"lienthong","agencies":[]}' | js j.id

# the audit trail of the new district, newest first
get $ADMIN "$LT/v1/audit-events?agency=000.00.34.H33" 'j.items.map(e => `${e.at} ${e.action} ${e.subjectId}`).join("\n")'

# --- seed
npx lienthong seed --demo=kien-luong-2024   # the district before 2025; prints the console logins (tokens and logins in $DATA/demo-tokens.json)
tok() { js "j.tokens['$1']" < "$DATA/demo-tokens.json"; }
DISTRICT=$(tok 000.00.33.H33); BINH_AN=$(tok 000.02.33.H33)

# --- send
# 1. The district clerk sends a directive (CT) to every commune under the district, with a PDF:
#    multipart, a `metadata` JSON part and one part per file. The place of promulgation is the
#    district's administrative unit; number and date come from its outgoing register.
printf '%%PDF-1.4\n%% demo\n' > "$WORK/ct-01.pdf"
DUE=$(node -p 'new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10)')
cat > "$WORK/ct-01.json" <<EOF
{
  "type": "CT", "notation": "CT-UBND",
  "subject": "V/v triển khai dịch vụ công trực tuyến toàn trình",
  "signer": { "fullName": "Nguyễn Văn A", "position": "Chủ tịch", "competence": "TM." },
  "steeringType": 2, "dueDate": "$DUE",
  "to": ["children:000.00.33.H33"]
}
EOF
DOC=$(api $DISTRICT -X POST $LT/v1/documents \
  -F "metadata=<$WORK/ct-01.json;type=application/json" -F "file=@$WORK/ct-01.pdf;type=application/pdf")
ID=$(echo "$DOC" | js j.id); DOCID=$(echo "$DOC" | js j.documentId)
echo "$DOC" | js '`${j.code.number}/${j.code.notation} ${j.state}, ${j.recipients.length} recipients`'

# --- arrive
# 2. Every commune's system confirms arrival with a signed 01, within a second or two.
retry get $DISTRICT $LT/v1/documents/$ID \
  'j.deliveries.every(d => d.statusCode === "01") && j.deliveries.map(d => `${d.recipient} ${d.state} ${d.statusCode}`).join("\n")'

# --- accept
# 3. A commune clerk finds it in the inbox, checks its authenticity, takes the PDF, and accepts it:
#    03 gives it the commune's incoming number (số đến).
ITEM=$(get $BINH_AN "$LT/v1/inbox?state=arrived" "j.items.find(i => i.documentId === '$DOCID')?.id")
get $BINH_AN $LT/v1/inbox/$ITEM j.verification                      # signatureValid, certificate
api $BINH_AN $LT/v1/inbox/$ITEM/attachments/0 -o "$WORK/received.pdf"
api $BINH_AN -X POST $LT/v1/inbox/$ITEM/status -H 'Content-Type: application/json' -d '{"code":"03"}' | js j
# → { "state": "accepted", "statusCode": "03", "arrivalNumber": 1 }; later 04, 05, 06; or 02 with a "description" to refuse

# --- district
# 4. The district sees it per recipient, with the timeline, and checks the signed package offline
#    against the node CA's certificate (what a recipient on another node is given).
retry get $DISTRICT $LT/v1/documents/$ID \
  'j.deliveries.some(d => d.statusCode === "03") && j.deliveries.map(d => `${d.recipient} ${d.state} ${d.statusCode}`).join("\n")'
get $DISTRICT $LT/v1/documents/$ID/events 'j.items.map(e => [e.at, e.type, e.recipient, e.statusCode].filter(Boolean).join(" ")).join("\n")'
api $DISTRICT $LT/v1/documents/$ID/edxml -o "$WORK/ct-01.edxml"
get $DISTRICT $LT/v1/trust-anchors 'j.items.find(a => a.source === "node-ca").certificatePem' > "$WORK/node-ca.pem"
npx lienthong verify "$WORK/ct-01.edxml" --trust "$WORK/node-ca.pem"   # VALID, signer, agency, SHA-256

# --- recall
# 5. The district recalls it: every recipient gets a recall package and a status 13.
api $DISTRICT -X POST $LT/v1/documents/$ID/recall -H 'Content-Type: application/json' -d '{"reason":"Ban hành nhầm"}' | js j

# --- answer-recall
# 6. Each commune answers the recall in its inbox: 15 gives the document back (its copy is
#    destroyed, NĐ 30/2020 Điều 18.4.b), 16 keeps it — here Bình An, which had accepted it.
COMMUNES=$(get $ADMIN "$LT/v1/agencies?parent=000.00.33.H33&level=commune" 'j.items.map(a => a.code).join(" ")')
for CODE in $COMMUNES; do
  T=$(tok $CODE)
  ITEM=$(retry get $T "$LT/v1/inbox?state=recall_requested" "j.items.find(i => i.documentId === '$DOCID')?.id")
  if [ $CODE = 000.02.33.H33 ]; then ANSWER=16; else ANSWER=15; fi
  api $T -X POST $LT/v1/inbox/$ITEM/status -H 'Content-Type: application/json' -d "{\"code\":\"$ANSWER\"}" | js "'$CODE ' + j.state"
done
retry get $DISTRICT $LT/v1/documents/$ID \
  'j.deliveries.every(d => ["recalled", "recall_refused"].includes(d.state)) && j.deliveries.map(d => `${d.recipient} ${d.state} ${d.statusCode}`).join("\n")'

# --- archive
# 7. Every delivery is final, so the sweep (every 30 s) seals the district's record into its hash
#    chain; until then the archive answers 409. Export the archive file and the chain up to its head,
#    and check both offline against the node CA's certificate.
retry api $DISTRICT $LT/v1/documents/$ID/archive -o "$WORK/ct-01.archive.zip"
HEAD=$(get $DISTRICT $LT/v1/archive/000.00.33.H33/head j.index)
api $DISTRICT "$LT/v1/archive/000.00.33.H33/chain?from=1&to=$HEAD" -o "$WORK/chain.json"
npx lienthong verify "$WORK/ct-01.archive.zip" --trust "$WORK/node-ca.pem"
npx lienthong verify-chain "$WORK/chain.json" --trust "$WORK/node-ca.pem"
# --- reorganisation
# Before the merger: xã Bình An writes to thị trấn Kiên Lương, which registers it (03) — open work.
TT=$(tok 000.01.33.H33)
cat > "$WORK/cv-01.json" <<JSON
{ "type": "CV", "notation": "UBND-VP", "subject": "V/v chuẩn bị sắp xếp đơn vị hành chính cấp xã",
  "signer": { "fullName": "Trần Thị Bình", "position": "Chủ tịch", "competence": "TM." }, "to": ["000.01.33.H33"] }
JSON
CV=$(api $BINH_AN -X POST $LT/v1/documents -H 'Content-Type: application/json' -d @"$WORK/cv-01.json" | js j.documentId)
OPEN=$(retry get $TT "$LT/v1/inbox?state=arrived" "j.items.find(i => i.documentId === '$CV')?.id")
api $TT -X POST $LT/v1/inbox/$OPEN/status -H 'Content-Type: application/json' -d '{"code":"03"}' | js j.arrivalNumber

# The national code list of the province after Nghị quyết 1654/NQ-UBTVQH15 (an extract: the codes are
# illustrative). Headers in Vietnamese or English; a dry run first: nothing changes yet.
cat > "$WORK/nq-1654.csv" <<'CSV'
Mã định danh,Tên cơ quan,Mã cơ quan cấp trên,Cấp,Ngày hiệu lực,Ngày hết hiệu lực,Mã cơ quan kế thừa
000.03.01.H01,UBND xã Kiên Lương,,Xã,01/07/2025,,
000.00.33.H33,UBND huyện Kiên Lương,,Huyện,,01/07/2025,000.03.01.H01
000.01.33.H33,UBND thị trấn Kiên Lương,000.00.33.H33,Thị trấn,,01/07/2025,000.03.01.H01
CSV
SYNC=$(api $ADMIN -X POST $LT/v1/directory/sync/dry-run -F "file=@$WORK/nq-1654.csv;type=text/csv")
echo "$SYNC" | js 'j.diff.new.map(a => `new     ${a.code} ${a.name}`).concat(j.diff.closed.map(c => `closed  ${c.code} → ${c.successorCode} from ${c.closedAt}`)).join("\n")'

# Reviewed: apply it, with the legal act (every change is in the audit trail, `details.sync` naming it).
api $ADMIN -X POST $LT/v1/directory/sync/$(echo "$SYNC" | js j.id)/apply -H 'Content-Type: application/json' \
  -d '{"decision":{"number":"1654/NQ-UBTVQH15","date":"2025-06-16"}}' | js j.applied
api $ADMIN -X POST $LT/v1/agencies/000.03.01.H01/certificates -H 'Content-Type: application/json' -d '{}' | js j.subject
KIEN_LUONG=$(api $ADMIN -X POST $LT/v1/users -H 'Content-Type: application/json' \
  -d '{"agencyCode":"000.03.01.H01","name":"Văn thư xã Kiên Lương","roles":["clerk"]}' | js j.token)

# The closed units hand their open work over to the new commune: open inbox items (same ids, numbers
# and history), documents still followed up, users deactivated, a signed record in both chains.
api $ADMIN -X POST $LT/v1/agencies/000.00.33.H33/handover | js '{ moved: j.moved, usersDeactivated: j.usersDeactivated, records: j.records }'
api $ADMIN -X POST $LT/v1/agencies/000.01.33.H33/handover | js j.message
api $ADMIN -X POST $LT/v1/agencies/000.00.33.H33/handover | js j.message      # again: nothing new to hand over
get $KIEN_LUONG $LT/v1/inbox/$OPEN '`${j.id}: ${j.state}, số đến ${j.arrivalNumber}, from ${j.sender.name}`'   # the same item

# A document to the old code: 422 AGENCY_CLOSED naming xã Kiên Lương, or, asked for, it goes there.
cat > "$WORK/cv-02.json" <<JSON
{ "type": "CV", "notation": "UBND-VP", "subject": "V/v bàn giao hồ sơ sau sắp xếp đơn vị hành chính",
  "signer": { "fullName": "Nguyễn Văn B", "position": "Chủ tịch", "competence": "TM." },
  "to": ["000.00.33.H33"], "redirectClosed": true }
JSON
api $BINH_AN -X POST $LT/v1/documents -H 'Content-Type: application/json' -d @"$WORK/cv-02.json" \
  | js 'j.deliveries.map(d => `${d.recipient} (addressed to ${d.redirectedFrom})`).join("\n")'

# Both chains verify offline: the closed district's, ending with its handover record, and the new commune's.
for CODE in 000.00.33.H33 000.03.01.H01; do
  HEAD=$(get $ADMIN $LT/v1/archive/$CODE/head j.index)
  api $ADMIN "$LT/v1/archive/$CODE/chain?from=1&to=$HEAD" -o "$WORK/chain-$CODE.json"
  npx lienthong verify-chain "$WORK/chain-$CODE.json" --trust "$WORK/node-ca.pem"
done
echo "the walkthrough's files are in $WORK"
