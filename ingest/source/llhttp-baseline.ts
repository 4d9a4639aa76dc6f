// undici parses HTTP with llhttp compiled to WebAssembly. V8 compiles it first
// with its baseline compiler (Liftoff), then recompiles the hot functions with
// TurboFan: for llhttp's one large state-machine function that recompile holds
// 20-25 MB for a moment at the first cycles. Without it the ingester's peak RSS
// was about 10 MB lower at 1,000 devices with no CPU difference beyond noise
// (bench/peer/README.md): the answers it parses are small, so parsing them in
// baseline code costs little. Imported before undici, whose module compiles
// llhttp as it loads (the flag applies to WebAssembly compiled after it).
// --no-wasm-tier-up was measured to leave the peak as it was; --liftoff-only
// is the flag that keeps every WebAssembly function in baseline code.
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--liftoff-only");
