// Preloaded into a child process (NODE_OPTIONS=--import=<this file>) when
// BENCH_PROFILE_DIR is set: Node refuses --cpu-prof in NODE_OPTIONS, so this
// starts the V8 profiler itself and writes a .cpuprofile when the process
// exits through process.exit() (the services' graceful stop does).
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";
import process from "node:process";

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 1000 });
  session.post("Profiler.start");
  const exit = process.exit.bind(process);
  let written = false;
  process.exit = (code) => {
    if (!written) {
      written = true;
      // The in-process session answers synchronously.
      session.post("Profiler.stop", (err, result) => {
        if (!err)
          writeFileSync(
            join(
              dir,
              `${process.argv[1]?.split("/").slice(-2).join("-") ?? "node"}-${process.pid}.cpuprofile`,
            ),
            JSON.stringify(result.profile),
          );
      });
    }
    return exit(code);
  };
}
