import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          // Starts (or finds) the real InfluxDB 2.x and checks for Prometheus.
          globalSetup: ["test/support/global-setup.ts"],
          // A cap, not a timing assertion: a loaded 2-core machine is slow.
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
