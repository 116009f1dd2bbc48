package dev.lotkeeper.app;

import android.content.Context;
import android.content.Intent;
import android.os.Bundle;

/**
 * Creates (or updates) the "lotkeeper" DataWedge profile on Zebra devices through DataWedge's
 * SET_CONFIG intent API, so a site does not have to configure it by hand. On other devices the
 * intent goes nowhere. The same settings are described in android/README.md for manual set-up.
 */
final class DataWedgeProfile {
    private static final String DW_ACTION = "com.symbol.datawedge.api.ACTION";
    private static final String PROFILE = "lotkeeper";

    private DataWedgeProfile() {}

    static void ensure(Context context) {
        Bundle config = new Bundle();
        config.putString("PROFILE_NAME", PROFILE);
        config.putString("PROFILE_ENABLED", "true");
        config.putString("CONFIG_MODE", "CREATE_IF_NOT_EXIST");

        Bundle app = new Bundle();
        app.putString("PACKAGE_NAME", context.getPackageName());
        app.putStringArray("ACTIVITY_LIST", new String[] {"*"});
        config.putParcelableArray("APP_LIST", new Bundle[] {app});

        // Scans as broadcast intents, bytes intact; keystrokes off (they lose ASCII 29).
        Bundle intentParams = new Bundle();
        intentParams.putString("intent_output_enabled", "true");
        intentParams.putString("intent_action", MainActivity.SCAN_ACTION);
        intentParams.putString("intent_category", Intent.CATEGORY_DEFAULT);
        intentParams.putString("intent_delivery", "2"); // 2 = broadcast
        Bundle intentPlugin = plugin("INTENT", true, intentParams);

        Bundle keystrokeParams = new Bundle();
        keystrokeParams.putString("keystroke_output_enabled", "false");
        Bundle keystrokePlugin = plugin("KEYSTROKE", true, keystrokeParams);

        // GS1 symbologies on, with their symbology identifiers reported as label types.
        Bundle barcodeParams = new Bundle();
        barcodeParams.putString("scanner_selection", "auto");
        barcodeParams.putString("decoder_datamatrix", "true");
        barcodeParams.putString("decoder_gs1_datamatrix", "true");
        barcodeParams.putString("decoder_qrcode", "true");
        barcodeParams.putString("decoder_gs1_qrcode", "true");
        barcodeParams.putString("decoder_code128", "true");
        barcodeParams.putString("decoder_ean128", "true");
        barcodeParams.putString("decoder_ean13", "true");
        barcodeParams.putString("decoder_ean8", "true");
        barcodeParams.putString("decoder_upca", "true");
        barcodeParams.putString("decoder_upce0", "true");
        barcodeParams.putString("decoder_i2of5", "true");
        barcodeParams.putString("decoder_code39", "true");
        barcodeParams.putString("decoder_pdf417", "true");
        barcodeParams.putString("decoder_gs1_databar", "true");
        barcodeParams.putString("decoder_gs1_databar_exp", "true");
        Bundle barcodePlugin = plugin("BARCODE", false, barcodeParams);

        config.putParcelableArray("PLUGIN_CONFIG", new Bundle[] {intentPlugin, keystrokePlugin, barcodePlugin});

        Intent i = new Intent(DW_ACTION);
        i.putExtra("com.symbol.datawedge.api.SET_CONFIG", config);
        context.sendBroadcast(i);
    }

    private static Bundle plugin(String name, boolean reset, Bundle params) {
        Bundle b = new Bundle();
        b.putString("PLUGIN_NAME", name);
        b.putString("RESET_CONFIG", reset ? "true" : "false");
        b.putBundle("PARAM_LIST", params);
        return b;
    }
}
