// Peak RSS of this process (VmHWM, KiB), as every worker of the comparison reports it.
const fs = require('fs');

function vmhwmKb() {
  try {
    const m = /VmHWM:\s*(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

module.exports = { vmhwmKb };
