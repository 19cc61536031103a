process.stdout.write('heapscope: CLI under construction\n');
