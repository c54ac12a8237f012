// Crash safety, part 1: killed around the close (intent, the close and its watch) and while asking for the file.
import { describeCrashes } from './crash.js';

describeCrashes(['close:after-intent', 'step:close:before-commit', 'step:watch_close:before-commit', 'step:get_file_url:before-commit', 'fetch:mid-download']);
