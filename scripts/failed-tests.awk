# Prints each failed test of a Visual Studio test results (trx) file with the first lines of its message.
#   awk -f scripts/failed-tests.awk results.trx
function unescape(text) {
  gsub(/&lt;/, "<", text); gsub(/&gt;/, ">", text); gsub(/&quot;/, "\"", text); gsub(/&apos;/, "'", text)
  gsub(/&#xD;/, "", text); gsub(/&#xA;/, " ", text); gsub(/&amp;/, "\\&", text)
  return text
}
/<UnitTestResult / {
  failed = ($0 ~ /outcome="Failed"/); inmessage = 0
  if (failed && match($0, /testName="[^"]*"/)) print "FAILED " unescape(substr($0, RSTART + 10, RLENGTH - 11))
}
failed && /<Message>/ { inmessage = 1; shown = 0 }
failed && inmessage {
  line = $0; gsub(/^[ \t]*<Message>|<\/Message>.*$/, "", line)
  if (shown++ < 12) print "    " unescape(line)
  if ($0 ~ /<\/Message>/) inmessage = 0
}
/<\/UnitTestResult>/ { failed = 0; inmessage = 0 }
