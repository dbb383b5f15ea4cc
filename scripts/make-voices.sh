#!/usr/bin/env bash
# Generates the demo's recorded voices (assets/voices/*.ulaw): short phrases spoken by espeak-ng,
# converted by sox to 8 kHz mono raw G.711 µ-law (what RTP PCMU carries, no header).
# The customer and the agent speak with different voices. Run once; the files are committed.
#   bash scripts/make-voices.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=assets/voices
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

CUSTOMER_VOICE='en-us+m3'
AGENT_VOICE='en-us+f2'

customer=(
  "Hi, I'm calling about my last invoice. There is a charge on it I don't recognise."
  "It says premium support, forty nine dollars. I never signed up for that."
  "Yes, the account is under Jordan Miller. The number ends in four two seven."
  "Okay. Can you take it off and refund me for last month as well?"
  "That would be great, thank you. Will I get an email confirming it?"
)
agent=(
  "Thank you for calling Acme support, this is Sam. How can I help you today?"
  "I'm sorry about that. Let me pull up your account. Can I have your name please?"
  "Thanks. I can see the premium support charge here. It was added on the third."
  "I have removed it, and I've refunded the last two months to your card."
  "You will get a confirmation email within the hour. Is there anything else I can help with?"
)

make() { # voice, text, output
  espeak-ng -v "$1" -s 155 -w "$tmp/x.wav" "$2"
  # 8 kHz mono, a little gain headroom, raw mu-law (-e mu-law -t raw: no WAV header, see TESTING.md).
  sox "$tmp/x.wav" -r 8000 -c 1 -e mu-law -b 8 -t raw "$3" gain -n -3
}

i=1
for t in "${customer[@]}"; do make "$CUSTOMER_VOICE" "$t" "$out/customer-$i.ulaw"; i=$((i + 1)); done
i=1
for t in "${agent[@]}"; do make "$AGENT_VOICE" "$t" "$out/agent-$i.ulaw"; i=$((i + 1)); done
du -ch "$out"/*.ulaw | tail -1
