package dev.lotkeeper.app;

import android.content.Context;
import android.content.Intent;
import android.os.Bundle;

/**
 * Honeywell's "Intent API": while lotkeeper is in front it claims the scanner with a profile that
 * sends each scan as a broadcast of {@link MainActivity#SCAN_ACTION} (extras dataBytes, aimId),
 * and releases it when it goes to the background. Other devices ignore these intents.
 */
final class HoneywellScanner {
    private static final String CLAIM = "com.honeywell.aidc.action.ACTION_CLAIM_SCANNER";
    private static final String RELEASE = "com.honeywell.aidc.action.ACTION_RELEASE_SCANNER";
    private static final String SERVICE = "com.intermec.datacollectionservice";

    private HoneywellScanner() {}

    static void claim(Context context) {
        Bundle properties = new Bundle();
        properties.putBoolean("DPR_DATA_INTENT", true);
        properties.putString("DPR_DATA_INTENT_ACTION", MainActivity.SCAN_ACTION);
        properties.putString("DPR_DATA_INTENT_CATEGORY", Intent.CATEGORY_DEFAULT);
        // Symbology identifiers go in the aimId extra, not into the data.
        properties.putString("DPR_PREFIX", "");
        properties.putString("DPR_SUFFIX", "");
        Intent i = new Intent(CLAIM);
        i.setPackage(SERVICE);
        i.putExtra("com.honeywell.aidc.extra.EXTRA_SCANNER", "dcs.scanner.imager");
        i.putExtra("com.honeywell.aidc.extra.EXTRA_PROFILE", "lotkeeper");
        i.putExtra("com.honeywell.aidc.extra.EXTRA_PROPERTIES", properties);
        context.sendBroadcast(i);
    }

    static void release(Context context) {
        Intent i = new Intent(RELEASE);
        i.setPackage(SERVICE);
        context.sendBroadcast(i);
    }
}
